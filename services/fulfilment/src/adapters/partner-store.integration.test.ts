// The partner registry on a real MongoDB-wire server (FerretDB, whose
// updates are read-then-replace): concurrent changes to one partner, from
// several registries (replicas), are never lost; bootstraps racing create the
// partner once; a released idempotency key serves a new order; one partner's
// orders are listed by day without another's.
import { ensureFerretDbBinary, startFerretDb, type FerretDb } from "@t2m/devstack";
import { createLogger, Database } from "@t2m/platform";
import { apiKeyDigest } from "@t2m/topology";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PartnerRegistry } from "../partner-routes.js";
import { issueKey, newApiKey, releasedIdempotencyKey, setRateLimit } from "../domain/partner.js";
import { sampleOrder } from "../domain/order.fixtures.js";
import { dayOf, OrderStore } from "./order-store.js";
import { PartnerStore } from "./partner-store.js";

const logger = createLogger("partners-test", "silent");
let ferretDb: FerretDb;
let database: Database;

beforeAll(async () => {
  await ensureFerretDbBinary();
  ferretDb = await startFerretDb();
  database = await Database.connect(ferretDb.databaseUrl("partners_test"), logger, "partners-test");
}, 300_000);

afterAll(async () => {
  await database?.close();
  await ferretDb?.stop();
});

describe("PartnerStore", () => {
  it("loses no change when three replicas change one partner at once", async () => {
    const replicas = [0, 1, 2].map(() => new PartnerRegistry(new PartnerStore(database), false, logger));
    await replicas[0]!.create({ partnerId: "race", name: "Race", rateLimitPerMinute: 0 });
    const keys = Array.from({ length: 9 }, () => newApiKey());
    await Promise.all([
      ...keys.map((key, i) => replicas[i % 3]!.change("race", (p, now) => ({ partner: issueKey(p, key, now).partner }))),
      replicas[1]!.change("race", (p, now) => ({ partner: setRateLimit(p, 250, now) })),
    ]);
    const partner = (await replicas[2]!.get("race"))!;
    expect(partner.keys.map((k) => k.sha256).sort()).toEqual(keys.map(apiKeyDigest).sort());
    expect(partner.rateLimitPerMinute).toBe(250);
    expect(partner.version).toBe(11);
    expect(await database.collection("partner_versions").countDocuments({ partnerId: "race" })).toBe(11);
  });

  it("creates a partner once however many replicas bootstrap it at once, each adding what it knows", async () => {
    const replicas = [0, 1, 2, 3].map(() => new PartnerRegistry(new PartnerStore(database), false, logger));
    const digest = apiKeyDigest("t2m_sandbox_key_0123456789abcdef");
    await Promise.all(replicas.map((r, i) => r.bootstrap({ partnerId: "boot", name: "Boot", ...(i % 2 === 0 ? { apiKeySha256: digest, apiKeyPrefix: "t2m_" } : { webhook: { url: "http://127.0.0.1:9/h", secrets: ["whsec_aWNvbnRlY2gtdDJtb2JpbGUtc2FuZGJveC1zZWNyZXQ="] } }) })));
    const partner = (await replicas[0]!.get("boot"))!;
    expect(partner.keys).toHaveLength(1);
    expect(partner.webhook?.source).toBe("env");
  });
});

describe("OrderStore for partners", () => {
  it("releases a key for reuse and lists one partner's orders changed on a day", async () => {
    const store = new OrderStore(database);
    await store.ensureIndexes();
    const at = new Date("2026-11-27T10:00:00Z");
    const old = sampleOrder({ orderId: "acme~P1", partnerId: "acme", partnerOrderId: "P1", idempotencyKey: "acme\u001fk", status: "FULFILLED", updatedAt: at });
    await store.insertMany([old, sampleOrder({ orderId: "P1", idempotencyKey: "k", updatedAt: at })]);
    await store.releaseKey(old, new Date());
    expect(await store.findByIdempotencyKey("acme\u001fk")).toBeUndefined();
    expect((await store.findById("acme~P1"))?.idempotencyKey).toBe(releasedIdempotencyKey("acme~P1"));
    expect(await store.insertMany([sampleOrder({ orderId: "acme~P2", partnerId: "acme", partnerOrderId: "P2", idempotencyKey: "acme\u001fk", updatedAt: at })])).toEqual(["inserted"]);
    const listed = await store.changedOn("acme", dayOf(at), undefined);
    expect(listed.map((o) => [o.orderId, o.partnerOrderId])).toEqual([["acme~P1", "P1"], ["acme~P2", "P2"]]);
    expect((await store.changedOn("acme", dayOf(at), "FULFILLED")).map((o) => o.orderId)).toEqual(["acme~P1"]);
  });
});
