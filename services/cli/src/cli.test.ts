// t2m's commands end to end inside one process: the real command tree,
// argument parsing, routing and output, with the services answered by an
// in-memory Connect router (test/e2e/cli.test.ts runs the built binary against a real stack).
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport, type ConnectRouter } from "@connectrpc/connect";
import { ErrorReasonSchema } from "@t2m/proto/common/v1/common";
import { JobRunOutcome } from "@t2m/proto/common/v1/jobs";
import { FulfilmentService, OrderSchema, OrderStatus } from "@t2m/proto/fulfilment/v1/fulfilment";
import { NotificationJobService } from "@t2m/proto/notification/v1/jobs";
import { PartnerService } from "@t2m/proto/partners/v1/partners";
import { ProvisioningJobService } from "@t2m/proto/provisioning/v1/jobs";
import { describe, expect, it } from "vitest";
import { runCli } from "./cli.js";
import { COMMAND_GROUPS } from "./commands/index.js";

const TOKEN = "t2m_test_operator_token_0123456789abcdef";

const order = create(OrderSchema, {
  orderId: "T2M1",
  status: OrderStatus.FULFILLED,
  productId: "ZOHO_CRM_STD",
  tenure: "12_MONTHS",
  customer: { customerId: "T2M_USER_1", name: "Ada", email: "ada@example.com" },
  attempts: 1,
  updatedAt: timestampFromDate(new Date("2026-11-27T10:00:00Z")),
});

function routes(router: ConnectRouter) {
  router.service(FulfilmentService, {
    getOrder: async (req) => {
      if (req.orderId !== "T2M1") throw new ConnectError(`no order with id "${req.orderId}"`, Code.NotFound);
      return { order };
    },
    listOrders: async (req) => ({ orders: req.status === OrderStatus.PENDING ? [] : [order], nextCursor: "" }),
    retryOrder: async () => {
      throw new ConnectError('order "T2M1" is FULFILLED: a finished order is never attempted again', Code.FailedPrecondition, undefined, [
        { desc: ErrorReasonSchema, value: create(ErrorReasonSchema, { reason: "ORDER_FINISHED" }) },
      ]);
    },
  });
  router.service(PartnerService, {
    issueApiKey: async (req) => ({ partner: { partnerId: req.partnerId, name: "Acme" }, key: { keyId: "key_1", prefix: "t2m_AbCd" }, apiKey: "t2m_AbCdSECRET" }),
  });
  router.service(ProvisioningJobService, {
    runJob: async (req) => ({ run: { job: req.name, run: 3, outcome: req.force ? JobRunOutcome.SUCCEEDED : JobRunOutcome.FAILED, processed: 2, failed: req.force ? 0 : 1, counts: { expired: 2n } } }),
  });
  router.service(NotificationJobService, { runJob: async (req) => ({ run: { job: req.name, run: 1, outcome: JobRunOutcome.SUCCEEDED } }) });
}

async function t2m(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const seen: Array<{ baseUrl: string; token: string }> = [];
  const code = await runCli(argv, {
    env: { T2M_TOKEN: TOKEN },
    out: (text) => void (stdout += text),
    err: (text) => void (stderr += text),
    transport: (target, interceptors) => {
      seen.push({ baseUrl: target.baseUrl, token: target.token });
      return createRouterTransport(routes, { transport: { interceptors } });
    },
  });
  return { code, stdout, stderr, seen };
}

describe("t2m", () => {
  it("prints help for itself, every group and every command (exit 0), with the exit codes", async () => {
    const root = await t2m("--help");
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(/Exit codes:/);
    for (const group of COMMAND_GROUPS) expect(root.stdout).toContain(group.name);
    for (const group of COMMAND_GROUPS) expect((await t2m(group.name, "--help")).code).toBe(0);
    expect((await t2m("orders", "retry", "--help")).stdout).toMatch(/Exit codes:/);
    expect((await t2m("--version")).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it("refuses usage errors with exit 2 and the usage line, sending nothing", async () => {
    for (const argv of [["frob"], ["orders", "frob"], ["orders", "get"], ["orders", "list", "--status", "lost"], ["orders", "get", "A", "B"], ["subscriptions", "revoke", "X"], ["jobs", "run", "nope"], ["orders"]]) {
      const run = await t2m(...argv);
      expect(run.code, argv.join(" ")).toBe(2);
      expect(run.seen).toEqual([]);
    }
    expect((await t2m("orders", "get")).stderr).toMatch(/usage: t2m orders get \[options\] <orderId>/);
  });

  it("shows an order as fields, or as the RPC's JSON with --json, sent to fulfilment with the token", async () => {
    const text = await t2m("orders", "get", "T2M1");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^order: +T2M1$/m);
    expect(text.stdout).toMatch(/^status: +FULFILLED$/m);
    expect(text.seen).toEqual([{ baseUrl: "http://127.0.0.1:4102", token: TOKEN }]);
    const json = await t2m("--json", "orders", "list");
    expect(JSON.parse(json.stdout)).toMatchObject({ orders: [{ orderId: "T2M1", status: "ORDER_STATUS_FULFILLED" }] });
    const table = await t2m("orders", "list", "--partner", "t2mobile");
    expect(table.stdout.split("\n")[0]).toMatch(/^ORDER +STATUS +PRODUCT/);
  });

  it("reports an RPC error as error: <CODE>: <message> with its reason on stderr, exit 1, never the token", async () => {
    const run = await t2m("orders", "retry", "T2M1");
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: FAILED_PRECONDITION: order "T2M1" is FULFILLED: a finished order is never attempted again\n  reason: ORDER_FINISHED\n');
    const missing = await t2m("--url", "http://127.0.0.1:9999", "orders", "get", "nope");
    expect([missing.code, missing.stderr]).toEqual([1, 'error: NOT_FOUND: no order with id "nope"\n']);
    expect(missing.seen[0]?.baseUrl).toBe("http://127.0.0.1:9999");
    expect(run.stderr + missing.stderr + run.stdout).not.toContain(TOKEN);
  });

  it("prints a new API key once, on stdout", async () => {
    const run = await t2m("partners", "issue-key", "acme");
    expect(run.code).toBe(0);
    expect(run.stdout.match(/t2m_AbCdSECRET/g)).toHaveLength(1);
    expect(run.stderr).toBe("");
  });

  it("runs a job in the service that owns it; --now forces it; a run that did not succeed exits 1", async () => {
    const forced = await t2m("jobs", "run", "renewal-check", "--now");
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^outcome: +SUCCEEDED$/m);
    expect(forced.stdout).toMatch(/^counts: +expired=2$/m);
    expect(forced.seen[0]?.baseUrl).toBe("http://127.0.0.1:4103");
    const failed = await t2m("jobs", "run", "renewal-check");
    expect([failed.code, /outcome: +FAILED/.test(failed.stdout)]).toEqual([1, true]);
    expect((await t2m("jobs", "run", "webhook-retry")).seen[0]?.baseUrl).toBe("http://127.0.0.1:4104");
  });
});
