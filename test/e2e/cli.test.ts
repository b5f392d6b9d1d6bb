// The operator CLI end to end: the whole platform as processes, an order
// placed through the REST API, then the built `t2m` binary run as a child
// process against the stack's services (their addresses by
// T2M_<SERVER>_URL, as a port-forward would give them), as an operator runs it.
import { existsSync } from "node:fs";
import { startStack, type Stack } from "@t2m/devstack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, newOrder, runT2m, sandbox, t2mobileClient, waitFor, type CliRun } from "./support.js";

let stack: Stack;
let api: ReturnType<typeof t2mobileClient>;
let fulfilledOrderId: string;

/** Runs the built t2m against this file's stack. */
const t2m = (args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> => runT2m(stack, args, env);

const json = (run: CliRun) => {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as any;
};

async function placeOrder(): Promise<string> {
  const order = newOrder();
  const res = await api.submit(order, `key-${order.orderId}`);
  expect(res.status).toBe(202);
  return order.orderId;
}

const orderStatus = async (orderId: string) => (await api.order(orderId)).body?.status as string | undefined;

beforeAll(async () => {
  expect(existsSync(CLI), `${CLI} is missing: run npm run build (npm test does)`).toBe(true);
  stack = await startStack({
    ports: "random",
    logLevel: "info",
    env: {
      NATS_ACK_WAIT_MS: "2000",
      WEBHOOK_RETRY_JITTER: "0",
      FULFILMENT_SWEEP_INTERVAL_MS: "500",
      // A failed attempt waits ten minutes for its retry: only an operator's re-drive makes it sooner.
      FULFILMENT_RETRY_INITIAL_MS: "600000",
      FULFILMENT_RETRY_MAX_MS: "600000",
      RATE_LIMIT_PER_MINUTE: "100000",
      ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: "0",
    },
  });
  api = t2mobileClient(stack);
  fulfilledOrderId = await placeOrder();
  await waitFor(stack, `order ${fulfilledOrderId} fulfilled`, async () => ((await orderStatus(fulfilledOrderId)) === "FULFILLED" ? true : undefined), 60_000);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

describe("t2m against a running platform", () => {
  it("orders get and list: fields and tables, or the RPC's JSON", async () => {
    const get = await t2m(["orders", "get", fulfilledOrderId]);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toMatch(new RegExp(`^order: +${fulfilledOrderId}$`, "m"));
    expect(get.stdout).toMatch(/^status: +FULFILLED$/m);
    expect(get.stdout).toMatch(/^zoho sales order: +\d+$/m);
    expect(json(await t2m(["orders", "get", fulfilledOrderId, "--json"])).order).toMatchObject({ orderId: fulfilledOrderId, status: "ORDER_STATUS_FULFILLED" });

    const list = await t2m(["orders", "list", "--status", "fulfilled"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split("\n")[0]).toMatch(/^ORDER +STATUS +PRODUCT +TENURE +CUSTOMER +ATTEMPTS +UPDATED$/);
    expect(list.stdout).toMatch(new RegExp(`^${fulfilledOrderId} +FULFILLED +ZOHO_CRM_STD`, "m"));
    const listed = json(await t2m(["--json", "orders", "list", "--partner", "t2mobile", "--limit", "500"]));
    expect(listed.orders.map((o: { orderId: string }) => o.orderId)).toContain(fulfilledOrderId);
  });

  it("subscriptions get: the subscription the order made, with its history", async () => {
    const run = await t2m(["subscriptions", "get", fulfilledOrderId]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^status: +ACTIVE$/m);
    expect(run.stdout).toMatch(/^activation ref: +\S+/m);
    expect(run.stdout).toMatch(/ACTIVATED +ACTIVE/);
  });

  it("webhooks list and attempts: the order's delivered webhook and its attempt", async () => {
    const delivered = await waitFor(stack, "the order's webhook delivered", async () => {
      const messages = json(await t2m(["--json", "webhooks", "list", "--order", fulfilledOrderId])).messages as Array<{ status: string; webhookId: string }> | undefined;
      return messages?.find((m) => m.status === "MESSAGE_STATUS_DELIVERED");
    });
    const list = await t2m(["webhooks", "list", "--order", fulfilledOrderId]);
    expect(list.stdout).toMatch(new RegExp(`^${delivered.webhookId} +ORDER_FULFILLED +${fulfilledOrderId} +t2mobile +DELIVERED`, "m"));
    const byOrder = await t2m(["webhooks", "attempts", fulfilledOrderId]);
    expect(byOrder.code, byOrder.stderr).toBe(0);
    expect(byOrder.stdout).toMatch(new RegExp(`^${delivered.webhookId} +ORDER_FULFILLED +${fulfilledOrderId} +1 +0 +DELIVERED +200`, "m"));
    const byMessage = json(await t2m(["--json", "webhooks", "attempts", delivered.webhookId]));
    expect(byMessage.attempts).toEqual([expect.objectContaining({ webhookId: delivered.webhookId, succeeded: true, httpStatus: 200 })]);
  });

  it("partners list: t2mobile, bootstrapped", async () => {
    const run = await t2m(["partners", "list"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^t2mobile +\S.* +ACTIVE +/m);
  });

  it("jobs run: renewal-check and the webhook-retry sweep in their services, recorded as runs; without --now a job already run since its schedule fired is refused", async () => {
    const renewal = await t2m(["jobs", "run", "renewal-check", "--now"]);
    expect(renewal.code, renewal.stderr).toBe(0);
    expect(renewal.stdout).toMatch(/^job: +renewal-check$/m);
    expect(renewal.stdout).toMatch(/^outcome: +SUCCEEDED$/m);
    expect(renewal.stdout).toMatch(/^counts: +.*candidates=0/m);
    const again = await t2m(["jobs", "run", "renewal-check"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: FAILED_PRECONDITION: renewal-check already succeeded .*--now/m);
    expect(again.stderr).toMatch(/reason: JOB_NOT_DUE/);

    const sweep = json(await t2m(["--json", "jobs", "run", "webhook-retry", "--now"]));
    expect(sweep.run).toMatchObject({ job: "webhook-retry", outcome: "JOB_RUN_OUTCOME_SUCCEEDED" });
    expect(sweep.run.run).toBeGreaterThanOrEqual(1);
  });

  it("orders retry: a FULFILLED order is refused (FAILED_PRECONDITION, exit 1)", async () => {
    const run = await t2m(["orders", "retry", fulfilledOrderId]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^error: FAILED_PRECONDITION: order "${fulfilledOrderId}" is FULFILLED`, "m"));
    expect(run.stderr).toMatch(/reason: ORDER_FINISHED/);
    const missing = await t2m(["orders", "retry", "T2M_NO_SUCH_ORDER"]);
    expect([missing.code, missing.stderr.split("\n")[0]]).toEqual([1, 'error: NOT_FOUND: no order with id "T2M_NO_SUCH_ORDER"']);
  });

  it("orders retry: an order waiting ten minutes for its retry is re-driven now, and fulfilled", async () => {
    const order = newOrder();
    await sandbox(stack, "/faults", { method: "POST", body: { operation: "createSalesOrder", status: 503, times: -1, match: order.orderId } });
    expect((await api.submit(order, `key-${order.orderId}`)).status).toBe(202);
    const waiting = await waitFor(stack, "the order waiting for its retry", async () => {
      const { order: stored } = json(await t2m(["--json", "orders", "get", order.orderId]));
      return stored.nextAttemptAt ? stored : undefined;
    }, 60_000);
    expect(waiting).toMatchObject({ status: "ORDER_STATUS_PROCESSING", attempts: 1 });
    await sandbox(stack, "/faults", { method: "DELETE" });

    const retry = await t2m(["orders", "retry", order.orderId]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toMatch(/^re-drive: +attempt 2 requested$/m);
    await waitFor(stack, "the re-driven order fulfilled", async () => ((await orderStatus(order.orderId)) === "FULFILLED" ? true : undefined), 60_000);
    expect(json(await t2m(["--json", "orders", "get", order.orderId])).order).toMatchObject({ status: "ORDER_STATUS_FULFILLED", attempts: 2 });
  });

  it("usage: --help exits 0, an unknown command 2 with the usage line", async () => {
    const help = await t2m(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: t2m \[options\] \[command\]/);
    expect(help.stdout).toMatch(/Exit codes:/);
    expect((await t2m(["jobs", "run", "--help"])).code).toBe(0);
    const unknown = await t2m(["ordres", "list"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'ordres'/);
    expect(unknown.stderr).toMatch(/^usage: t2m \[options\] \[command\]$/m);
  });

  it("a wrong token: UNAUTHENTICATED, exit 1, the token never printed; an unreachable address is named", async () => {
    const token = "t2m_wrong_operator_token_0123456789abcdef0";
    const run = await t2m(["orders", "get", fulfilledOrderId], { T2M_TOKEN: token });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: UNAUTHENTICATED: /m);
    expect(run.stdout + run.stderr).not.toContain(token);
    const unreachable = await t2m(["--url", "http://127.0.0.1:1", "partners", "list"]);
    expect([unreachable.code, unreachable.stderr]).toEqual([1, "error: cannot reach fulfilment at http://127.0.0.1:1 (ECONNREFUSED)\n"]);
  });
});
