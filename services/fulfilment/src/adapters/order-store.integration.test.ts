// OrderStore on a real MongoDB-wire server (FerretDB): group-committed
// inserts that report duplicates per order, attempt claims that only one
// worker wins, single-writer saves, and the sweeper's read of unfinished
// orders.
import { ensureFerretDbBinary, startFerretDb, type FerretDb } from "@t2m/devstack";
import { createLogger, Database } from "@t2m/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fulfil, scheduleRetry, startAttempt } from "../domain/lifecycle.js";
import type { OrderRecord } from "../domain/order.js";
import { sampleOrder } from "../domain/order.fixtures.js";
import { OrderStore } from "./order-store.js";

const logger = createLogger("fulfilment-test", "silent");
let ferretDb: FerretDb;
let database: Database;
let store: OrderStore;

beforeAll(async () => {
  await ensureFerretDbBinary();
  ferretDb = await startFerretDb();
  database = await Database.connect(ferretDb.databaseUrl("fulfilment_test"), logger, "fulfilment-test");
  store = new OrderStore(database);
  await store.ensureIndexes();
  // A second start must find its indexes in place and not fail.
  await store.ensureIndexes();
}, 300_000);

afterAll(async () => {
  await database?.close();
  await ferretDb?.stop();
});

const created = new Date("2026-01-15T10:00:00Z");
const order = (orderId: string, overrides: Partial<OrderRecord> = {}) => sampleOrder({ orderId, createdAt: created, ...overrides });

describe("OrderStore", () => {
  it("inserts a batch in one call and reports each clash of id or idempotency key", async () => {
    expect(await store.insertMany([order("S-1")])).toEqual(["inserted"]);
    const results = await store.insertMany([
      order("S-2"),
      order("S-1", { idempotencyKey: "other" }),
      order("S-3", { idempotencyKey: "key-S-1" }),
      order("S-4"),
    ]);
    expect(results).toEqual(["inserted", "duplicate", "duplicate", "inserted"]);
    expect((await store.findByIdempotencyKey("key-S-1"))?.orderId).toBe("S-1");
    expect(await store.findById("S-3")).toBeUndefined();
  });

  it("lets exactly one worker claim an attempt, however many try at once", async () => {
    await store.insertMany([order("C-1")]);
    const lease = new Date(Date.now() + 60_000);
    const claims = await Promise.all(Array.from({ length: 10 }, () => store.claimAttempt("C-1", 1, new Date(), lease)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.findClaim("C-1", 1)).toMatchObject({ orderId: "C-1", attempt: 1, leaseUntil: lease });
    expect(await store.claimAttempt("C-1", 2, new Date(), lease)).toBe(true);
  });

  it("saves what the lifecycle produced, and lists unfinished orders for the sweeper", async () => {
    await store.insertMany([order("L-1"), order("L-2"), order("L-3")]);
    const now = new Date();
    const started = startAttempt((await store.findById("L-1"))!, 1, now, new Date(now.getTime() + 45_000));
    await store.save(started);
    await store.save(scheduleRetry(started, new Date(now.getTime() + 2_000), "zoho: UNAVAILABLE", now));
    const second = startAttempt((await store.findById("L-2"))!, 1, now, new Date(now.getTime() + 45_000));
    await store.save(fulfil(second, { zohoSalesOrderId: "SO", zohoSalesOrderNumber: "L-2", zohoCustomerId: "CU" }, { activationReference: "A", expiryDate: now }, now));
    await store.renewLease("L-1", new Date(now.getTime() + 90_000));

    expect(await store.findById("L-1")).toMatchObject({ status: "PROCESSING", attempts: 1, lastError: "zoho: UNAVAILABLE" });
    expect(await store.findById("L-2")).toMatchObject({ status: "FULFILLED", zohoSalesOrderId: "SO", activationReference: "A" });
    const unfinished = (await store.unfinished(100)).filter((o) => o.orderId.startsWith("L-"));
    expect(unfinished.map((o) => [o.orderId, o.status]).sort()).toEqual([
      ["L-1", "PROCESSING"],
      ["L-3", "PENDING"],
    ]);
    expect(unfinished.find((o) => o.orderId === "L-1")?.nextAttemptAt).toBeInstanceOf(Date);
    await expect(store.save(order("L-404"))).rejects.toThrow(/not found/);
  });
});
