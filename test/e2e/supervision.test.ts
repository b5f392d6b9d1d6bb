// The platform under a supervisor, as in Kubernetes: fulfilment,
// provisioning and notification are SIGKILLed several times each, and each
// time come back by themselves on the same port; orders placed around the
// crashes are all fulfilled, each with one verified webhook.
import { startStack, type ServiceName, type Stack, type SupervisionEvent } from "@t2m/devstack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inboxMessages, newOrder, t2mobileClient, verifyWebhook, waitFor } from "./support.js";

let stack: Stack;
let api: ReturnType<typeof t2mobileClient>;
const events: SupervisionEvent[] = [];

beforeAll(async () => {
  stack = await startStack({
    ports: "random",
    // Kubernetes-like backoff, shortened so three crashes in a row cost well under a second.
    supervise: { initialDelayMs: 100, maxDelayMs: 400 },
    onSupervision: (event) => void events.push(event),
    env: {
      NATS_ACK_WAIT_MS: "2000",
      WEBHOOK_RETRY_DELAYS_MS: "300,600,1000,2000,3000",
      OUTBOX_RELAY_INTERVAL_MS: "500",
      RATE_LIMIT_PER_MINUTE: "100000",
      ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: "0",
    },
  });
  api = t2mobileClient(stack);
});

afterAll(async () => {
  await stack?.stop();
});

/**
 * Places an order as T2Mobile does: while fulfilment is down the gateway
 * answers 503, and the client sends the same request again (same
 * Idempotency-Key) until it is accepted.
 */
async function placeOrder(): Promise<string> {
  const order = newOrder();
  const answers: string[] = [];
  const accepted = await waitFor(stack, `order ${order.orderId} to be accepted`, async () => {
    const res = await api.submit(order, `key-${order.orderId}`);
    answers.push(`${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    return res.status === 503 ? undefined : res;
  }, 60_000);
  expect(accepted.status, answers.join("\n")).toBe(202);
  return order.orderId;
}

async function expectFulfilledOnce(orderId: string): Promise<void> {
  const final = await waitFor(stack, `order ${orderId} to be fulfilled`, async () => {
    const res = await api.order(orderId);
    return res.body.status === "FULFILLED" || res.body.status === "FAILED" ? res.body : undefined;
  }, 60_000);
  expect(final.status).toBe("FULFILLED");
  const webhooks = await waitFor(stack, `the webhook for ${orderId}`, async () => {
    const verified = (await inboxMessages(stack, orderId)).filter((m) => m.verified && m.type === "ORDER_FULFILLED");
    return verified.length > 0 ? verified : undefined;
  }, 60_000);
  expect(new Set(webhooks.map((m) => m.webhookId)).size).toBe(1);
  verifyWebhook(stack, webhooks[0]!);
}

describe("a supervised platform", () => {
  const victims: readonly ServiceName[] = ["fulfilment", "provisioning", "notification"];

  it("brings fulfilment, provisioning and notification back on their ports after repeated SIGKILLs, and loses no order", async () => {
    const ports = { ...stack.ports };
    const orders: string[] = [];
    for (let round = 1; round <= 3; round++) {
      for (const name of victims) {
        orders.push(await placeOrder());
        const before = stack.pid(name);
        expect(await stack.crash(name)).toEqual({ code: null, signal: "SIGKILL" });
        orders.push(await placeOrder());
        await stack.waitUntilReady(name);
        expect(stack.pid(name)).not.toBe(before);
        expect(stack.ports[name]).toBe(ports[name]);
        expect((await fetch(`${stack.urls[name]}/readyz`)).status).toBe(200);
        expect(stack.restarts(name)).toBe(round);
      }
    }
    for (const orderId of orders) await expectFulfilledOnce(orderId);
    expect(events.filter((e) => e.type === "restart-failed")).toEqual([]);
    for (const name of victims) {
      expect(events.filter((e) => e.type === "restarted" && e.name === name)).toHaveLength(3);
    }
    // Nine restarts of 2–5 s each on a busy 2-core machine, plus 18 orders: each wait has its own deadline above.
  }, 180_000);

  it("brings NATS and MongoDB back too, where they are local processes", async () => {
    if (stack.serversKind !== "local") {
      // Containers are not processes of the stack: there is nothing of ours to crash.
      await expect(stack.crash("nats")).rejects.toThrow(/not running in this stack/);
      return;
    }
    const { natsUrl, mongodbUrl } = stack;
    await stack.crash("nats");
    await stack.crash("ferretdb");
    await stack.waitUntilReady("nats");
    await stack.waitUntilReady("ferretdb");
    expect([stack.natsUrl, stack.mongodbUrl]).toEqual([natsUrl, mongodbUrl]);
    // The services reconnect by themselves and the pipeline works again.
    await expectFulfilledOnce(await placeOrder());
  });
});
