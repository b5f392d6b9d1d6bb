// Service traffic across a whole stack: every service answers gRPC (h2c),
// gRPC-Web and Connect, found by reflection with `buf curl` and no schema;
// gRPC health answers for probes; calls without a service token, or from a
// caller the access policy does not name, are refused; and on NATS each
// service is its own user, limited to its own subjects.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { REPO_ROOT, startStack, type Stack } from "@t2m/devstack";
import { createLogger, createMetrics, EventBus, natsInboxPrefix } from "@t2m/platform";
import { OrderEvents, type RpcCaller } from "@t2m/topology";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newOrder, t2mobileClient, waitFor } from "./support.js";

const BUF = join(REPO_ROOT, "node_modules/.bin/buf");
const PROTOCOLS = ["grpc", "grpcweb", "connect"] as const;
type Protocol = (typeof PROTOCOLS)[number];

let stack: Stack;
let orderId = "";

beforeAll(async () => {
  stack = await startStack({ servers: "local" });
  const order = newOrder();
  const accepted = await t2mobileClient(stack).submit(order, `traffic-${order.orderId}`);
  expect(accepted.status).toBe(202);
  orderId = order.orderId;
  await waitFor(stack, `order ${orderId} to be fulfilled`, async () => ((await t2mobileClient(stack).order(orderId)).body.status === "FULFILLED" ? true : undefined), 60_000);
});

afterAll(async () => {
  await stack?.stop();
});

interface BufResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `buf curl` by reflection (no schema), over h2c: gRPC needs HTTP/2, and reflection is a bidi stream. */
function bufCurl(url: string, protocol: Protocol, args: readonly string[], caller?: RpcCaller): Promise<BufResult> {
  const auth = caller ? ["-H", `Authorization: Bearer ${stack.rpcToken(caller)}`] : [];
  return new Promise((resolve, reject) => {
    execFile(BUF, ["curl", "--protocol", protocol, "--http2-prior-knowledge", ...auth, ...args, url], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

const rpc = (service: keyof Stack["urls"], method: string) => `${stack.urls[service]}/${method}`;
const json = (result: BufResult) => {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, any>;
};
/** buf curl prints an RPC error as JSON on stderr, e.g. {"code":"permission_denied","message":"…"}. */
const errorCode = (result: BufResult) => {
  expect(result.code, `expected an RPC error, got: ${result.stdout}`).not.toBe(0);
  return (JSON.parse(result.stderr) as { code: string }).code;
};

describe("every service over gRPC, gRPC-Web and Connect, by reflection", () => {
  it.each(PROTOCOLS)("%s: each service lists its methods and answers one, without the schema", async (protocol) => {
    const list = await bufCurl(stack.urls.catalogue, protocol, ["--list-methods"]);
    expect(list.stdout.split("\n")).toEqual(expect.arrayContaining(["t2mobile.catalogue.v1.CatalogueService/ListProducts", "grpc.health.v1.Health/Check"]));

    const products = json(await bufCurl(rpc("catalogue", "t2mobile.catalogue.v1.CatalogueService/ListProducts"), protocol, ["-d", "{}"], "gateway"));
    expect(products.products.length).toBeGreaterThan(0);

    const order = json(await bufCurl(rpc("fulfilment", "t2mobile.fulfilment.v1.FulfilmentService/GetOrder"), protocol, ["-d", JSON.stringify({ orderId })], "operator"));
    expect(order.order.orderId).toBe(orderId);

    const subscription = await bufCurl(rpc("provisioning", "t2mobile.provisioning.v1.ProvisioningService/GetSubscription"), protocol, ["-d", JSON.stringify({ orderId })], "operator");
    // Reached the handler: an answer, or its own NOT_FOUND for an order without a subscription record.
    if (subscription.code !== 0) expect(errorCode(subscription)).toBe("not_found");

    const endpoint = json(await bufCurl(rpc("notification", "t2mobile.notification.v1.NotificationService/GetEndpoint"), protocol, ["-d", "{}"], "operator"));
    expect(endpoint).toBeTypeOf("object");
  });

  it.each(PROTOCOLS)("%s: every process answers grpc.health.v1 without a token (the chart's probes)", async (protocol) => {
    for (const service of ["gateway", "catalogue", "fulfilment", "provisioning", "notification"] as const) {
      for (const name of ["", "liveness"]) {
        const health = json(await bufCurl(rpc(service, "grpc.health.v1.Health/Check"), protocol, ["-d", JSON.stringify({ service: name })]));
        expect(health, `${service} ${JSON.stringify(name)}`).toEqual({ status: "SERVING" });
      }
    }
  });
});

describe("service tokens", () => {
  const submit = (caller?: RpcCaller) =>
    bufCurl(rpc("fulfilment", "t2mobile.fulfilment.v1.FulfilmentService/SubmitOrder"), "grpc", ["-d", JSON.stringify({ idempotencyKey: "forged", orderId: "T2M-FORGED" })], caller);

  it("refuses SubmitOrder without a token (UNAUTHENTICATED) and from any caller but the gateway (PERMISSION_DENIED)", async () => {
    expect(errorCode(await submit())).toBe("unauthenticated");
    expect(errorCode(await submit("notification"))).toBe("permission_denied");
    expect(errorCode(await submit("operator"))).toBe("permission_denied");
    // The gateway's token passes the check; the malformed order is then the handler's to refuse.
    expect(["invalid_argument", "failed_precondition"]).toContain(errorCode(await submit("gateway")));
  });

  it("refuses provisioning's mutating RPCs to everyone but fulfilment", async () => {
    const create = (caller?: RpcCaller) =>
      bufCurl(rpc("provisioning", "t2mobile.provisioning.v1.ProvisioningService/CreateSalesOrder"), "connect", ["-d", JSON.stringify({ orderId: "T2M-FORGED" })], caller);
    expect(errorCode(await create())).toBe("unauthenticated");
    // The gateway and notification call provisioning's SubscriptionService (reads, revocation), never its Zoho mutations.
    expect(errorCode(await create("gateway"))).toBe("permission_denied");
    expect(errorCode(await create("operator"))).toBe("permission_denied");
    expect(errorCode(await create("notification"))).toBe("permission_denied");
    // Provisioning's own token (its jobs) does not open its own Zoho mutations either: it calls nobody's intake.
    expect(errorCode(await create("provisioning"))).toBe("unauthenticated");
    expect(errorCode(await bufCurl(rpc("provisioning", "t2mobile.provisioning.v1.ProvisioningService/VoidSalesOrder"), "grpcweb", ["-d", "{}"], "operator"))).toBe("permission_denied");
  });

  it("refuses a token that is not any caller's", async () => {
    const result = await bufCurl(rpc("catalogue", "t2mobile.catalogue.v1.CatalogueService/ListProducts"), "connect", ["-H", `Authorization: Bearer ${"f".repeat(48)}`, "-d", "{}"]);
    expect(errorCode(result)).toBe("unauthenticated");
  });
});

describe("NATS users", () => {
  it("refuses anonymous connections", async () => {
    await expect(connect({ servers: stack.natsUrl, reconnect: false })).rejects.toThrow(/Authorization Violation/);
  });

  it("notification cannot publish orders.submitted (nor any order event): it cannot forge one", async () => {
    const { user, password } = stack.natsCredentials("notification");
    // As notification itself connects: its replies on its own inbox prefix.
    const nc = await connect({ servers: stack.natsUrl, user, pass: password, reconnect: false, inboxPrefix: natsInboxPrefix(user) });
    try {
      const js = jetstream(nc, { timeout: 5_000 });
      for (const subject of [OrderEvents.submitted.subject, OrderEvents.fulfilled.subject]) {
        await expect(js.publish(subject, new Uint8Array([1]), { msgID: `forged-${subject}` })).rejects.toThrow(/Permissions Violation for Publish to "orders\./);
      }
    } finally {
      await nc.close();
    }
  });

  it("notification cannot read another service's consumer or listen on order subjects", async () => {
    const { user, password } = stack.natsCredentials("notification");
    const nc = await connect({ servers: stack.natsUrl, user, pass: password, reconnect: false });
    const errors: string[] = [];
    void (async () => {
      for await (const status of nc.status()) if (status.type === "error") errors.push(String(status.error?.message));
    })();
    try {
      nc.subscribe("orders.>");
      await nc.flush();
      await waitFor(stack, "the subscription to be refused", async () => (errors.some((e) => /Permissions Violation for Subscription to "orders\.>"/.test(e)) ? true : undefined), 5_000);
      const js = jetstream(nc, { timeout: 5_000 });
      await expect(js.consumers.get("ORDERS", "fulfilment-order-submitted")).rejects.toThrow(/Permissions Violation/);
    } finally {
      await nc.close();
    }
  });

  it("fulfilment may publish the events it owns", async () => {
    const events = await EventBus.connect({
      url: stack.natsUrl,
      credentials: stack.natsCredentials("fulfilment"),
      name: "traffic-test",
      logger: createLogger("traffic-test", "silent"),
      metrics: createMetrics("traffic-test"),
      ackWaitMs: 30_000,
    });
    try {
      // A retry notice for an attempt the (fulfilled) order is already past: the worker drops it. It proves the permission only.
      const ack = await events.publish(OrderEvents.retryDue, { orderId, attempt: 1, cause: "redrive" }, { messageId: `traffic-test:${orderId}` });
      expect(ack.sequence).toBeGreaterThan(0);
    } finally {
      await events.close();
    }
  });
});
