// What FerretDB 1.24 does with the query forms the platform relies on, read
// from its own `explain` (which returns PostgreSQL's plan). These facts are
// the README's "Design notes: the store": if a FerretDB upgrade changes
// them, this test says so before a benchmark does.
import { connect } from "node:net";
import { createStackDatabase, dropDatabase, startFerretDb, type FerretDb } from "@t2m/devstack";
import { createLogger, Database } from "@t2m/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const logger = createLogger("ferretdb-plans", "silent");
const POSTGRESQL_URL = process.env.BENCH_POSTGRESQL_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function postgresqlAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port: 5432 });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.setTimeout(1_000, () => (socket.destroy(), resolve(false)));
  });
}

interface Explained {
  readonly pushdown: boolean;
  readonly plan: string;
}

async function explain(database: Database, filter: object, options: object = {}, collection = "plans"): Promise<Explained> {
  const result = await database.db.command({ explain: { find: collection, filter, ...options } });
  return { pushdown: result.filterPushdown === true, plan: JSON.stringify(result.queryPlanner ?? {}) };
}

// Runs where PostgreSQL answers on 127.0.0.1:5432, as on every machine of this kind, CI's included.
describe("FerretDB 1.24 on PostgreSQL: which query forms PostgreSQL sees", async () => {
  const available = await postgresqlAnswers();
  let ferretDb: FerretDb;
  let database: Database;
  let postgresDatabase: string | undefined;
  const name = `plans_${Date.now().toString(36)}`;

  beforeAll(async () => {
    if (!available) return;
    // A PostgreSQL database of its own, set up as every stack's is (with the _id GIN indexes).
    const created = await createStackDatabase(POSTGRESQL_URL);
    postgresDatabase = created.name;
    ferretDb = await startFerretDb({ postgresqlUrl: created.url });
    database = await Database.connect(ferretDb.databaseUrl(name), logger, "plans");
    await database.ensureIndexes("plans", [
      { key: { status: 1, dueAt: 1 }, options: { name: "status_dueAt" } },
      { key: { key: 1 }, options: { name: "key_unique", unique: true } },
      // The subscription jobs' due query: equality on a status and a day bucket.
      { key: { status: 1, expiryDay: 1 }, options: { name: "status_expiryDay" } },
    ]);
    await database.collection("plans").insertMany(
      Array.from({ length: 500 }, (_, i) => ({
        _id: `o${i}` as never,
        key: `k${i}`,
        status: i % 5 ? "FULFILLED" : "PENDING",
        dueAt: new Date(Date.now() + i * 1_000),
        expiryDay: `2027-01-${String((i % 28) + 1).padStart(2, "0")}`,
      })),
    );
    // PostgreSQL picks plans by its statistics; a collection just filled has none yet.
    await database.db.command({ explain: { find: "plans", filter: {} } });
  }, 120_000);

  afterAll(async () => {
    await database?.close();
    await ferretDb?.stop();
    if (postgresDatabase) await dropDatabase(POSTGRESQL_URL, postgresDatabase);
  });

  it.runIf(available)("serves an _id lookup from the GIN index every stack's database gives each collection (sql/ferretdb-id-index.sql)", async () => {
    const explained = await explain(database, { _id: "o7" });
    expect(explained.pushdown).toBe(true);
    expect(explained.plan).toContain("@>");
    expect(explained.plan).toContain("Bitmap Index Scan");
    expect(explained.plan).toMatch(/plans_[0-9a-f]+_id_gin/);
  });

  it.runIf(available)("gives collections whose long names share a prefix an index each (the index name is cut and hashed past 56 bytes)", async () => {
    const prefix = "subscription_reminders_sent_for_the_expiry_day_bucket_of_";
    for (const suffix of ["partner_a", "partner_b"]) {
      await database.collection(prefix + suffix).insertOne({ _id: "x" } as never);
      await database.db.command({ explain: { find: prefix + suffix, filter: {} } });
      const explained = await explain(database, { _id: "x" }, {}, prefix + suffix);
      expect(explained.plan, suffix).toContain("Bitmap Index Scan");
    }
  });

  it.runIf(available)("pushes equality on any other scalar (a status, a key) down to PostgreSQL, as a scan PostgreSQL filters itself", async () => {
    // The last two: the expiry jobs' filter, and ListOrders' (a partner's orders changed on one day, in one status).
    for (const filter of [{ key: "k7" }, { status: "PENDING", key: "k5" }, { status: "PENDING", expiryDay: "2027-01-06" }, { partnerId: "acme", updatedDay: "2026-11-27", status: "FULFILLED" }]) {
      const explained = await explain(database, filter);
      expect(explained.pushdown, JSON.stringify(filter)).toBe(true);
      // A jsonb containment (@>) that no btree index can serve: PostgreSQL scans the table.
      expect(explained.plan).toContain("@>");
      expect(explained.plan).toContain("Seq Scan");
    }
  });

  it.runIf(available)("does not push ranges, $in or $exists down: FerretDB fetches every document and filters it itself", async () => {
    for (const filter of [{ dueAt: { $lte: new Date() } }, { status: { $in: ["PENDING"] } }, { dueAt: { $exists: true } }, { _id: { $gt: "o5" } }]) {
      const explained = await explain(database, filter);
      expect(explained.pushdown, JSON.stringify(filter)).toBe(false);
      expect(explained.plan).not.toContain("Filter");
    }
  });

  it.runIf(available)("returns the right documents either way", async () => {
    const plans = database.collection("plans");
    expect(await plans.countDocuments({ status: "PENDING" })).toBe(100);
    expect(await plans.countDocuments({ dueAt: { $lte: new Date(Date.now() + 50_500) } })).toBe(51);
    // One day's bucket in one status (i ≡ 5 mod 28 and i ≡ 0 mod 5).
    expect(await plans.countDocuments({ status: "PENDING", expiryDay: "2027-01-06" })).toBe(Array.from({ length: 500 }, (_, i) => i).filter((i) => i % 28 === 5 && i % 5 === 0).length);
  });
});
