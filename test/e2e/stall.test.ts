// A stalled consumer does not stall new orders: with more than 1,000 orders
// waiting in backoff (Zoho keeps failing them), a new order is still
// fulfilled at once, because backoff lives in MongoDB and no message waits
// in JetStream holding an ack slot. On the real stack.
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startStack, type Stack } from "@t2m/devstack";
import { createLogger, Database } from "@t2m/platform";
import { Consumers } from "@t2m/topology";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newOrder, sandbox, t2mobileClient, waitFor } from "./support.js";

const STALLED = 1_100;
let stack: Stack;
let api: ReturnType<typeof t2mobileClient>;
let database: Database;

beforeAll(async () => {
  stack = await startStack({
    ports: "random",
    logLevel: "warn",
    env: {
      RATE_LIMIT_PER_MINUTE: "1000000",
      // Zoho's pace is not what this test is about.
      ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: "0",
      ZOHO_SANDBOX_MAX_CONCURRENT: "0",
      ZOHO_BUDGET_CALLS_PER_MINUTE: "0",
      ZOHO_BUDGET_MAX_CONCURRENT: "0",
      // Failed orders wait ten minutes before their next attempt: they stay in backoff for the whole test.
      FULFILMENT_RETRY_INITIAL_MS: "600000",
      FULFILMENT_RETRY_MAX_MS: "600000",
    },
  });
  api = t2mobileClient(stack);
  database = await Database.connect(stack.mongodbUrl, createLogger("stall-test", "silent"), "stall-test");
}, 180_000);

afterAll(async () => {
  await database?.close();
  await stack?.stop();
});

describe("a stalled consumer", () => {
  it(`still fulfils a new order promptly with ${STALLED} orders in backoff`, async () => {
    // Zoho answers 503 to every sales order of the stalled orders, and only theirs.
    await sandbox(stack, "/faults", { method: "POST", body: { operation: "createSalesOrder", status: 503, times: -1, match: "STALL" } });
    const run = Date.now().toString(36).toUpperCase();
    for (let start = 0; start < STALLED; start += 100) {
      const batch = Array.from({ length: Math.min(100, STALLED - start) }, (_, i) => newOrder({ orderId: `STALL${run}N${start + i}` }));
      const answers = await Promise.all(batch.map((o) => api.submit(o, `key-${o.orderId}`)));
      expect(answers.every((a) => a.status === 202)).toBe(true);
    }
    const orders = database.collection("orders");
    await waitFor(
      stack,
      `all ${STALLED} stalled orders to be waiting for a retry`,
      async () => ((await orders.countDocuments({ status: "PROCESSING", orderId: { $regex: `^STALL${run}` } })) >= STALLED ? true : undefined),
      180_000,
    );

    // JetStream holds none of them: the consumers' ack slots are free.
    const nc = await connect({ servers: stack.natsUrl, user: stack.natsAdmin.user, pass: stack.natsAdmin.password });
    try {
      const jsm = await jetstreamManager(nc);
      for (const consumer of [Consumers.fulfilmentSubmitted, Consumers.fulfilmentRetries]) {
        const info = await jsm.consumers.info(consumer.stream, consumer.durableName);
        expect(info.num_ack_pending, consumer.durableName).toBeLessThan(50);
      }
    } finally {
      await nc.close();
    }

    const order = newOrder();
    expect((await api.submit(order, `key-${order.orderId}`)).status).toBe(202);
    const done = await waitFor(
      stack,
      "the new order to be fulfilled",
      async () => {
        const res = await api.order(order.orderId);
        return res.body.status === "FULFILLED" ? res.body : undefined;
      },
      30_000,
    );
    expect(done.status).toBe("FULFILLED");
    // The stalled orders are still waiting, none failed or lost.
    expect(await orders.countDocuments({ status: "PROCESSING", orderId: { $regex: `^STALL${run}` } })).toBe(STALLED);
  }, 300_000);
});
