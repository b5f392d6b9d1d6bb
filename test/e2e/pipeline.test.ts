// The order pipeline's guarantees under concurrency and faults, on the real
// stack (every service as its own process, real NATS JetStream, FerretDB):
// one order per idempotency key however many requests race, retries kept in
// MongoDB rather than in JetStream, and an order whose event was lost (a
// crash between storing and publishing) re-driven by the sweeper.
import { startStack, type Stack } from "@t2m/devstack";
import { createLogger, Database } from "@t2m/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inboxMessages, newOrder, salesOrdersNumbered, sandbox, t2mobileClient, waitFor } from "./support.js";

let stack: Stack;
let api: ReturnType<typeof t2mobileClient>;
let database: Database;

beforeAll(async () => {
  stack = await startStack({
    ports: "random",
    logLevel: "warn",
    env: {
      RATE_LIMIT_PER_MINUTE: "100000",
      ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: "0",
      NATS_ACK_WAIT_MS: "2000",
      FULFILMENT_RETRY_INITIAL_MS: "300",
      FULFILMENT_RETRY_MAX_MS: "1000",
      FULFILMENT_ATTEMPT_LEASE_MS: "3000",
      FULFILMENT_SWEEP_INTERVAL_MS: "300",
      FULFILMENT_STUCK_AFTER_MS: "3000",
      WEBHOOK_RETRY_DELAYS_MS: "300,600,1000",
    },
  });
  api = t2mobileClient(stack);
  database = await Database.connect(stack.mongodbUrl, createLogger("pipeline-test", "silent"), "pipeline-test");
});

afterAll(async () => {
  await database?.close();
  await stack?.stop();
});

async function finished(orderId: string, timeoutMs = 30_000) {
  return waitFor(
    stack,
    `order ${orderId} to finish`,
    async () => {
      const res = await api.order(orderId);
      return res.body.status === "FULFILLED" || res.body.status === "FAILED" ? res.body : undefined;
    },
    timeoutMs,
  );
}

describe("idempotency under concurrency", () => {
  it("100 concurrent submissions with one key create exactly one order; every answer is 202 or 200", async () => {
    const order = newOrder();
    const key = `race-${order.orderId}`;
    const answers = await Promise.all(Array.from({ length: 100 }, () => api.submit(order, key)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(99);
    expect(answers.every((a) => a.body.orderId === order.orderId)).toBe(true);
    expect(answers.filter((a) => a.status === 200).every((a) => a.body.isDuplicate === true)).toBe(true);

    expect((await finished(order.orderId)).status).toBe("FULFILLED");
    expect(await database.collection("orders").countDocuments({ _id: order.orderId as never })).toBe(1);
    expect(await salesOrdersNumbered(stack, order.orderId)).toHaveLength(1);
    // One attempt ran: the 99 duplicates never reached the worker.
    expect(await database.collection("order_attempts").countDocuments({ orderId: order.orderId })).toBe(1);
  });

  it("racing different orders under one key: one wins, the others are refused, nothing else is stored", async () => {
    const key = `race-mixed-${Date.now()}`;
    const orders = Array.from({ length: 20 }, () => newOrder());
    const answers = await Promise.all(orders.map((o) => api.submit(o, key)));
    const accepted = answers.filter((a) => a.status === 202);
    expect(accepted).toHaveLength(1);
    expect(answers.filter((a) => a.status !== 202).every((a) => a.status === 422 && a.body.code === "IDEMPOTENCY_KEY_REUSED")).toBe(true);
    const stored = await database.collection("orders").countDocuments({ _id: { $in: orders.map((o) => o.orderId) } as never });
    expect(stored).toBe(1);
  });
});

describe("retries live in MongoDB, not in JetStream", () => {
  it("a transiently failing order waits PROCESSING with its next attempt due, holds no ack slot, and is then fulfilled", async () => {
    await sandbox(stack, "/faults", { method: "POST", body: { operation: "createSalesOrder", status: 503, times: 2 } });
    const order = newOrder();
    expect((await api.submit(order, `key-${order.orderId}`)).status).toBe(202);
    const waiting = await waitFor(stack, "the order to wait for a retry", async () => {
      const doc = await database.collection("orders").findOne({ _id: order.orderId as never });
      return doc?.nextAttemptAt ? doc : undefined;
    });
    expect(waiting.status).toBe("PROCESSING");
    // The first or the second failed attempt, depending on when the probe looked.
    expect([1, 2]).toContain(waiting.attempts);
    expect(waiting.lastError).toMatch(/UNAVAILABLE|503/);
    const done = await finished(order.orderId);
    expect(done).toMatchObject({ status: "FULFILLED" });
    // At least one retry ran as a new attempt (how many of the sandbox's failures one attempt meets is provisioning's business).
    expect(await database.collection("order_attempts").countDocuments({ orderId: order.orderId })).toBeGreaterThanOrEqual(2);
    expect(await salesOrdersNumbered(stack, order.orderId)).toHaveLength(1);
  });
});

describe("lost events", () => {
  it("an order stored by a process that died before publishing it is re-driven by the sweeper", async () => {
    // As left by a crash between the insert and the publish: a PENDING order no message refers to.
    const template = newOrder();
    const accepted = await api.submit(template, `key-${template.orderId}`);
    expect(accepted.status).toBe(202);
    await finished(template.orderId);
    const stored = await database.collection("orders").findOne({ _id: template.orderId as never });
    const lostId = `${template.orderId}L`;
    const old = new Date(Date.now() - 10_000);
    await database.collection("orders").insertOne({
      ...stored!,
      _id: lostId as never,
      orderId: lostId,
      idempotencyKey: `key-${lostId}`,
      status: "PENDING",
      attempts: 0,
      createdAt: old,
      updatedAt: old,
      zohoSalesOrderId: undefined,
      zohoSalesOrderNumber: undefined,
      zohoCustomerId: undefined,
      activationReference: undefined,
      expiryDate: undefined,
      fulfilledAt: undefined,
    });
    const done = await finished(lostId, 60_000);
    expect(done.status).toBe("FULFILLED");
    expect(await salesOrdersNumbered(stack, lostId)).toHaveLength(1);
    const webhooks = await waitFor(stack, "the re-driven order's webhook", async () => {
      const messages = (await inboxMessages(stack, lostId)).filter((m) => m.verified);
      return messages.length > 0 ? messages : undefined;
    });
    expect(webhooks[0]!.type).toBe("ORDER_FULFILLED");
  });
});
