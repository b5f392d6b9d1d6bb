import { SandboxDefaults } from "@t2m/topology";
// The subscription stores on a real MongoDB-wire server (FerretDB 1.24): a
// change is claimed once however many writers race for it, the projection
// never goes back, the jobs' day buckets, reminders claimed once, pending
// renewals, and records from before histories existed.
import { ensureFerretDbBinary, startFerretDb, type FerretDb } from "@t2m/devstack";
import { createLogger, Database } from "@t2m/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activate, expire, renew, type SubscriptionChange } from "../domain/subscription.js";
import { Subscriptions } from "../domain/subscriptions.js";
import { MemoryLicenceLog, SandboxLicenceProvisioner } from "./sandbox-licence-provisioner.js";
import { MongoPendingRenewals, MongoReminderStore, MongoSubscriptionStore, reminderId, SUBSCRIPTIONS_COLLECTION } from "./subscription-store.js";

const logger = createLogger("subscription-store-test", "silent");
let ferretDb: FerretDb;
let database: Database;
let store: MongoSubscriptionStore;
let reminders: MongoReminderStore;
let pending: MongoPendingRenewals;

beforeAll(async () => {
  await ensureFerretDbBinary();
  ferretDb = await startFerretDb();
  database = await Database.connect(ferretDb.databaseUrl(`subscriptions_${Date.now().toString(36)}`), logger, "subscription-store-test");
  store = new MongoSubscriptionStore(database);
  reminders = new MongoReminderStore(database);
  pending = new MongoPendingRenewals(database);
  await store.ensureIndexes();
  await reminders.ensureIndexes();
  // A second start finds its indexes in place.
  await store.ensureIndexes();
}, 300_000);

afterAll(async () => {
  await database?.db.dropDatabase().catch(() => undefined);
  await database?.close();
  await ferretDb?.stop();
});

const at = (iso: string) => new Date(iso);
let sequence = 0;
const activation = (overrides: Record<string, string> = {}) => {
  sequence += 1;
  return {
    orderId: `T2M-S-${sequence}`,
    productId: "ZOHO_CRM_STD",
    tenure: "12_MONTHS",
    tenureMonths: 12,
    customerId: `C-${sequence}`,
    customerEmail: `c${sequence}@example.com`,
    zohoSalesOrderId: `SO-${sequence}`,
    activationReference: `ZL-TEST-${sequence}`,
    ...overrides,
  };
};
const renewal = (id: string) => ({ renewalOrderId: id, zohoSalesOrderId: `SO-${id}`, tenure: "12_MONTHS", tenureMonths: 12 });

describe("MongoSubscriptionStore", () => {
  it("claims each version once, however many writers race for it", async () => {
    const first = activate(activation(), at("2026-12-01T10:00:00Z"));
    expect(await store.claim(first)).toBe(true);
    await store.project(first);
    const rivals: SubscriptionChange[] = Array.from({ length: 12 }, (_, i) =>
      i % 2 ? expire(first.state, at("2027-12-02T00:00:00Z")) : renew(first.state, renewal(`R-${i}`), at("2027-11-01T00:00:00Z")),
    );
    const won = await Promise.all(rivals.map((c) => store.claim(c)));
    expect(won.filter(Boolean)).toHaveLength(1);
    const stored = await store.findChange(first.subscriptionId, 2);
    expect(stored?.kind).toBe(rivals[won.indexOf(true)]!.kind);
    // Dates and the nested state come back as they went in.
    expect(stored?.state.expiryDate).toBeInstanceOf(Date);
    expect((await store.changes(first.subscriptionId)).map((c) => c.version)).toEqual([1, 2]);
  });

  it("projects forward only: an older version never overwrites a newer one", async () => {
    const v1 = activate(activation(), at("2026-12-01T10:00:00Z"));
    const v2 = renew(v1.state, renewal("R-A"), at("2027-11-01T00:00:00Z"));
    const v3 = expire(v2.state, at("2029-01-01T00:00:00Z"));
    await store.project(v1);
    await store.project(v3);
    await store.project(v2);
    await store.project(v1);
    expect(await store.findProjection(v1.subscriptionId)).toMatchObject({ version: 3, status: "EXPIRED" });
    // Filed under the day its period ends: the renewal's day, not the first period's.
    expect((await store.byExpiryDay(v3.state.expiryDay, "EXPIRED")).map((s) => s.orderId)).toContain(v1.subscriptionId);
    expect((await store.findByActivationReference(v1.state.activationReference))?.orderId).toBe(v1.subscriptionId);
  });

  it("moves a renewed subscription to the day of its new end", async () => {
    const v1 = activate(activation(), at("2030-02-10T10:00:00Z"));
    await store.project(v1);
    expect((await store.byExpiryDay("2031-02-10", "ACTIVE")).map((s) => s.orderId)).toContain(v1.subscriptionId);
    const v2 = renew(v1.state, renewal("R-MOVE"), at("2031-01-01T00:00:00Z"));
    await store.project(v2);
    expect((await store.byExpiryDay("2031-02-10", "ACTIVE")).map((s) => s.orderId)).not.toContain(v1.subscriptionId);
    expect((await store.byExpiryDay("2032-02-10", "ACTIVE")).map((s) => s.orderId)).toContain(v1.subscriptionId);
  });

  it("sweeps a day that is over: what is not ACTIVE goes, and an empty day's collection is dropped", async () => {
    const lapsed = activate(activation(), at("2019-03-03T10:00:00Z"));
    const waiting = activate(activation(), at("2019-03-03T11:00:00Z"));
    for (const c of [lapsed, waiting]) await store.project(c);
    await store.project(expire(lapsed.state, at("2020-03-04T00:00:00Z")));
    expect(await store.sweepDay("2020-03-03")).toEqual({ removed: 1, dropped: false });
    expect((await store.byExpiryDay("2020-03-03", "ACTIVE")).map((s) => s.orderId)).toEqual([waiting.subscriptionId]);
    await store.project(expire(waiting.state, at("2020-03-05T00:00:00Z")));
    expect(await store.sweepDay("2020-03-03")).toEqual({ removed: 1, dropped: true });
    expect((await store.sweepDay("2020-03-03")).removed).toBe(0);
    // The subscriptions themselves stay, with their history.
    expect((await store.findProjection(waiting.subscriptionId))?.status).toBe("EXPIRED");
  });

  it("finds one Lagos day of period ends in one status, and a customer's subscriptions", async () => {
    const day = "2031-05-05";
    // 23:30 UTC on the 4th is the 5th in Lagos; 23:30 on the 5th is the 6th.
    const inDay = [activate(activation(), at("2030-05-04T23:30:00Z")), activate(activation({ customerId: "C-SHARED" }), at("2030-05-05T12:00:00Z"))];
    const otherDay = activate(activation({ customerId: "C-SHARED" }), at("2030-05-05T23:30:00Z"));
    for (const c of [...inDay, otherDay]) await store.project(c);
    const expired = expire(inDay[1]!.state, at("2031-05-06T00:00:00Z"));
    expect((await store.byExpiryDay(day, "ACTIVE")).map((s) => s.orderId).sort()).toEqual(inDay.map((c) => c.subscriptionId).sort());
    await store.project(expired);
    expect((await store.byExpiryDay(day, "ACTIVE")).map((s) => s.orderId)).toEqual([inDay[0]!.subscriptionId]);
    expect((await store.byExpiryDay(day, "EXPIRED")).map((s) => s.orderId)).toEqual([inDay[1]!.subscriptionId]);
    expect((await store.byCustomer("C-SHARED")).map((s) => s.orderId).sort()).toEqual([inDay[1]!.subscriptionId, otherDay.subscriptionId].sort());
  });

  it("gives records stored before histories existed their change 1, once", async () => {
    const legacy = activate(activation(), at("2025-06-01T10:00:00Z")).state;
    const { version: _v, expiryDay: _d, renewals: _r, updatedAt: _u, ...old } = legacy;
    await database.collection(SUBSCRIPTIONS_COLLECTION).insertOne({ _id: legacy.orderId as never, ...old });
    // Read as version 1 before the backfill too.
    expect(await store.findProjection(legacy.orderId)).toEqual(legacy);
    expect(await store.backfill(logger)).toBeGreaterThanOrEqual(1);
    expect(await store.backfill(logger)).toBe(0);
    expect((await store.changes(legacy.orderId)).map((c) => [c.version, c.kind])).toEqual([[1, "ACTIVATED"]]);
    const raw = await database.collection(SUBSCRIPTIONS_COLLECTION).findOne({ _id: legacy.orderId as never });
    expect(raw).toMatchObject({ version: 1, expiryDay: "2026-06-01" });
    expect((await store.byExpiryDay("2026-06-01", "ACTIVE")).map((s) => s.orderId)).toContain(legacy.orderId);
  });
});

describe("reminders and pending renewals", () => {
  it("claims a reminder once; a second claim returns the first, which is marked once published", async () => {
    const record = {
      id: reminderId("T2M-R", "2027-12-09", 7),
      subscriptionId: "T2M-R",
      expiryDay: "2027-12-09",
      thresholdDays: 7,
      daysUntilExpiry: 7,
      version: 1,
      activationReference: "ZL-R",
      productId: "ZOHO_CRM_STD",
      tenure: "12_MONTHS",
      customerId: "C-R",
      customerEmail: "r@example.com",
      expiryDate: at("2027-12-09T10:00:00Z"),
      amount: { currencyCode: "NGN", amountMinor: 21_600_000 },
      remindedAt: at("2027-12-02T01:00:00Z"),
      createdAt: at("2026-12-01T00:00:00Z"),
    };
    const results = await Promise.all(Array.from({ length: 6 }, () => reminders.claim(record)));
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    const second = results.find((r) => !r.claimed);
    expect(second).toMatchObject({ claimed: false, existing: { thresholdDays: 7, amount: { amountMinor: 21_600_000 } } });
    await reminders.markPublished(record.id, at("2026-12-01T00:00:01Z"));
    expect((await reminders.find(record.id))?.publishedAt).toEqual(at("2026-12-01T00:00:01Z"));
  });

  it("keeps pending renewals until removed, once each", async () => {
    await pending.add({ renewalOrderId: "T2M-P1", subscriptionId: "T2M-S", createdAt: at("2027-01-01T00:00:00Z") });
    await pending.add({ renewalOrderId: "T2M-P1", subscriptionId: "T2M-S", createdAt: at("2027-01-01T00:00:05Z") });
    await pending.add({ renewalOrderId: "T2M-P2", subscriptionId: "T2M-S", createdAt: at("2027-01-02T00:00:00Z") });
    expect((await pending.all()).map((p) => p.renewalOrderId).sort()).toEqual(["T2M-P1", "T2M-P2"]);
    await pending.remove("T2M-P1");
    await pending.remove("T2M-P1");
    expect((await pending.all()).map((p) => p.renewalOrderId)).toEqual(["T2M-P2"]);
  });
});

describe("Subscriptions on MongoDB", () => {
  it("a renewal, a revocation and two expiry runs racing for one subscription make one change each version, and the projection ends at the last", async () => {
    const log = new MemoryLicenceLog();
    const announced: SubscriptionChange[] = [];
    const subscriptions = new Subscriptions({ store, pending, provisioner: new SandboxLicenceProvisioner(SandboxDefaults.sandboxLicenceKey, log), announcer: { announce: async (c) => void announced.push(c) } });
    const customer = { customerId: "C-RACE", name: "Ada", email: "ada@example.com", phone: "08012345678" };
    const { subscription } = await subscriptions.activate({ orderId: "T2M-RACE", zohoSalesOrderId: "SO-RACE", productId: "ZOHO_CRM_STD", tenure: "12_MONTHS", tenureMonths: 12, customer }, at("2026-12-01T10:00:00Z"));
    const after = at("2027-12-01T10:00:01Z");
    await Promise.allSettled([
      subscriptions.expireIfDue(subscription, after),
      subscriptions.expireIfDue(subscription, after),
      subscriptions.renew("T2M-RACE", renewal("T2M-RACE-R"), after),
      subscriptions.revoke("T2M-RACE", "race", after),
    ]);
    const history = await store.changes("T2M-RACE");
    expect(history.map((c) => c.version)).toEqual(history.map((_, i) => i + 1));
    expect(history.filter((c) => c.kind === "EXPIRED").length).toBeLessThanOrEqual(1);
    expect(history.filter((c) => c.kind === "REVOKED")).toHaveLength(1);
    expect((await store.findProjection("T2M-RACE"))?.version).toBe(history.length);
    // Each change after the first was announced; a loser that met the winner's change before its projection
    // finished it too, with the same message id (one event on the stream, one webhook).
    expect([...new Set(announced.map((c) => `${c.version}:${c.kind}`))].sort()).toEqual(history.slice(1).map((c) => `${c.version}:${c.kind}`));
  });
});
