// OrderStore and the outbox relay on a real MongoDB-wire server (FerretDB)
// and a real nats-server: the status compare-and-set, and an order stored
// by a process that died before announcing it still being announced.
import { ensureFerretDbBinary, startFerretDb, startNatsServer, type FerretDb, type NatsServer } from "@t2m/devstack";
import { createLogger, createMetrics, Database, decodeIf, EventBus, ack } from "@t2m/platform";
import { Consumers, OrderEvents, OrdersStream } from "@t2m/topology";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OrderRecord } from "../domain/order.js";
import { sampleOrder } from "../domain/order.fixtures.js";
import { OrderAnnouncer } from "./announcer.js";
import { OrderStore } from "./order-store.js";
import { OutboxRelay } from "./relay.js";

const logger = createLogger("fulfilment-test", "silent");
let ferretDb: FerretDb;
let nats: NatsServer;
let database: Database;
let events: EventBus;
let store: OrderStore;

beforeAll(async () => {
  await ensureFerretDbBinary();
  [ferretDb, nats] = await Promise.all([startFerretDb(), startNatsServer()]);
  database = await Database.connect(ferretDb.databaseUrl("fulfilment_test"), logger, "fulfilment-test");
  events = await EventBus.connect({ url: nats.url, name: "fulfilment-test", logger, metrics: createMetrics("fulfilment-test"), ackWaitMs: 2_000 });
  await events.declare({ streams: [OrdersStream], consumers: [Consumers.fulfilmentSubmitted, Consumers.notificationOutcomes] });
  store = new OrderStore(database);
  await store.ensureIndexes();
  // A second start must find its indexes in place and not fail.
  await store.ensureIndexes();
}, 300_000);

afterAll(async () => {
  await events?.close();
  await database?.close();
  await Promise.all([ferretDb?.stop(), nats?.stop()]);
});

const created = new Date("2026-01-15T10:00:00Z");
const order = (orderId: string, overrides: Partial<OrderRecord> = {}) => sampleOrder({ orderId, createdAt: created, ...overrides });

describe("OrderStore", () => {
  it("enforces one order per id and per idempotency key", async () => {
    expect(await store.insert(order("S-1"))).toBe("inserted");
    expect(await store.insert(order("S-1", { idempotencyKey: "other" }))).toBe("duplicate");
    expect(await store.insert(order("S-2", { idempotencyKey: "key-S-1" }))).toBe("duplicate");
    expect((await store.findByIdempotencyKey("key-S-1"))?.orderId).toBe("S-1");
  });

  it("moves status only along the allowed transitions", async () => {
    await store.insert(order("S-3"));
    const processing = await store.markProcessing("S-3", new Date());
    expect(processing).toMatchObject({ status: "PROCESSING", processingAttempts: 1 });
    expect((await store.markProcessing("S-3", new Date())).processingAttempts).toBe(2);
    await store.recordSalesOrder("S-3", { zohoSalesOrderId: "SO-3", zohoSalesOrderNumber: "S-3", zohoCustomerId: "CU" }, new Date());
    const fulfilled = await store.markFulfilled("S-3", new Date());
    expect(fulfilled).toMatchObject({ status: "FULFILLED", zohoSalesOrderId: "SO-3" });
    // A finished order is never reopened or failed afterwards.
    await expect(store.markProcessing("S-3", new Date())).rejects.toThrow(/is FULFILLED/);
    await expect(store.markFailed("S-3", "late", new Date())).rejects.toThrow(/is FULFILLED/);
    await expect(store.markFulfilled("S-404", new Date())).rejects.toThrow(/not found/);
  });
});

describe("OutboxRelay", () => {
  it("announces orders whose events never reached the stream, once", async () => {
    // As left by a process killed between storing and publishing.
    await store.insert(order("R-1"));
    await store.insert(order("R-2", { status: "FULFILLED", zohoSalesOrderId: "SO-R2", activationReference: "ZL-R2", submittedPublishedAt: created }));
    const relay = new OutboxRelay(store, new OrderAnnouncer(events, store, logger), logger, { intervalMs: 60_000, graceMs: 0, batchSize: 10 });

    expect(await relay.runOnce()).toBeGreaterThanOrEqual(2);
    expect(await relay.runOnce()).toBe(0);
    expect((await store.findByOrderId("R-1"))?.submittedPublishedAt).toBeInstanceOf(Date);
    expect((await store.findByOrderId("R-2"))?.outcomePublishedAt).toBeInstanceOf(Date);

    const submitted: string[] = [];
    const outcomes: string[] = [];
    const collect = async (definition: (typeof Consumers)[keyof typeof Consumers], into: string[]) => {
      const consumer = await events.consume(
        definition,
        async (m) => {
          into.push(decodeIf(OrderEvents.submitted, m)?.orderId ?? decodeIf(OrderEvents.fulfilled, m)?.orderId ?? "?");
          return ack();
        },
        { concurrency: 4, errorDelayMs: () => 100 },
      );
      await new Promise((r) => setTimeout(r, 1_000));
      await consumer.stop();
    };
    await collect(Consumers.fulfilmentSubmitted, submitted);
    await collect(Consumers.notificationOutcomes, outcomes);
    expect(submitted.filter((id) => id === "R-1")).toHaveLength(1);
    expect(outcomes.filter((id) => id === "R-2")).toHaveLength(1);
  });
});
