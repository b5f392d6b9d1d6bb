// The subscription jobs' cost, as a module the main bench calls (benchJobs()
// returns the figures; BENCH_ONLY=jobs runs it alone) and a small CLI:
//   node test/dist/bench/jobs.js
// Each job (expiry-reminders, renewal-check) is run as its CronJob runs it —
// the platform's runJob: connect to MongoDB and NATS, claim a run number in
// job_runs, do the work, record the run — in this process, over a database
// holding BENCH_SUBSCRIPTIONS (100,000) ACTIVE subscriptions none of which is
// due, and over an empty one; the median of BENCH_JOB_RUNS (5) runs each,
// after a warm-up run. The goal: less than 2× apart. It also asks FerretDB to
// explain the jobs' due query on the full collection.
// FerretDB runs on PostgreSQL when one answers (BENCH_POSTGRESQL_URL or
// 127.0.0.1:5432) unless BENCH_BACKEND=sqlite, otherwise on SQLite.
import { startFerretDb, startNatsServer, type FerretDb, type NatsServer } from "@t2m/devstack";
import { createLogger, Database, runJob, type JobContext, type JobResult } from "@t2m/platform";
import {
  activate,
  addDays,
  dayOf,
  expiryDayCollection,
  loadProvisioningConfig,
  MongoSubscriptionStore,
  runExpiryReminders,
  runRenewalCheck,
  SUBSCRIPTION_CHANGES_COLLECTION,
  SUBSCRIPTIONS_COLLECTION,
  type ProvisioningConfig,
} from "@t2m/provisioning";
import { Jobs, SubscriptionsStream } from "@t2m/topology";
import { postgresqlUrl } from "./webhooks.js";

export interface JobBenchOptions {
  readonly subscriptions?: number;
  readonly runs?: number;
  /** FerretDB on this PostgreSQL; undefined: SQLite. */
  readonly postgresqlUrl?: string;
  readonly log?: (line: string) => void;
}

export interface JobCost {
  readonly job: string;
  /** Median of the runs over the full database, ms. */
  readonly fullMs: number;
  /** Median of the runs over the empty database, ms. */
  readonly emptyMs: number;
  /** fullMs / emptyMs (goal < 2). */
  readonly ratio: number;
  readonly fullRunsMs: readonly number[];
  readonly emptyRunsMs: readonly number[];
}

export interface JobBenchFigures {
  readonly mongodbBackend: string;
  readonly subscriptions: number;
  readonly seedSeconds: number;
  readonly jobs: readonly JobCost[];
  /** FerretDB's explain of one due query (status equality on a day's collection, a day with subscriptions). */
  readonly dueQueryPlan: { readonly filterPushdown: boolean; readonly plan: string };
  /** The same for an equality on an expiryDay field of the whole subscriptions collection (the design not taken), and its cost. */
  readonly fieldQueryPlan: { readonly filterPushdown: boolean; readonly plan: string; readonly medianMs: number };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Seeds `count` ACTIVE subscriptions ending 30 days to two years after
 * `now`, as the service stores them: the projection, change 1, and the entry
 * under the day of its end; insertMany in batches of at most 1,000.
 */
async function seed(database: Database, count: number, now: Date, log: (line: string) => void): Promise<void> {
  const subscriptions = database.collection(SUBSCRIPTIONS_COLLECTION);
  const changes = database.collection(SUBSCRIPTION_CHANGES_COLLECTION);
  const byDay = new Map<string, Array<ReturnType<typeof activate>["state"]>>();
  const customer = (i: number) => ({ customerId: `BENCH_${i % 20_000}`, name: "Bench Customer", email: `bench.${i % 20_000}@example.com`, phone: "08012345678" });
  for (let from = 0; from < count; from += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, count - from) }, (_, k) => {
      const i = from + k;
      // Started between 11 months and 7 years ago, so each ends 30 to 730 days from now: never in a run's window.
      const start = new Date(now.getTime() + (30 + (i % 701)) * 86_400_000 - 365 * 86_400_000 * (1 + (i % 2)));
      const tenureMonths = i % 2 ? 24 : 12;
      return activate(
        {
          orderId: `B-SUB-${i}`,
          productId: "ZOHO_CRM_STD",
          tenure: `${tenureMonths}_MONTHS`,
          tenureMonths,
          customerId: customer(i).customerId,
          customerEmail: customer(i).email,
          zohoSalesOrderId: `48150000${String(i).padStart(8, "0")}`,
          activationReference: `ZL-CRMSTD-B${i}`,
        },
        start,
      );
    });
    await subscriptions.insertMany(batch.map((c) => ({ _id: c.subscriptionId as never, ...c.state })), { ordered: false });
    await changes.insertMany(batch.map((c) => ({ _id: `${c.subscriptionId}#1` as never, ...c })), { ordered: false });
    for (const c of batch) byDay.set(c.state.expiryDay, [...(byDay.get(c.state.expiryDay) ?? []), c.state]);
    if ((from / 1_000) % 20 === 0) log(`  seeded ${from + batch.length} of ${count}`);
  }
  log(`  filing them under ${byDay.size} expiry days…`);
  for (const [day, states] of byDay) {
    for (let from = 0; from < states.length; from += 1_000) {
      await database.collection(expiryDayCollection(day)).insertMany(states.slice(from, from + 1_000).map((s) => ({ _id: s.orderId as never, ...s })), { ordered: false });
    }
  }
}

async function timeRun(name: string, mongodbUrl: string, natsUrl: string, now: Date, work: (ctx: JobContext, config: ProvisioningConfig) => Promise<JobResult>): Promise<{ ms: number; result: JobResult }> {
  const config = loadProvisioningConfig({ MONGODB_URL: mongodbUrl, NATS_URL: natsUrl, LOG_LEVEL: "silent" });
  const started = performance.now();
  const summary = await runJob({
    name,
    mongodbUrl,
    nats: { url: natsUrl, streams: [SubscriptionsStream] },
    logLevel: "silent",
    argv: ["--now", now.toISOString()],
    env: {},
    run: (ctx) => work(ctx, config),
  });
  const ms = performance.now() - started;
  if (summary.outcome !== "succeeded" || !summary.result) throw new Error(`${name}: ${summary.outcome} ${String(summary.error)}`);
  return { ms, result: summary.result };
}

export async function benchJobs(options: JobBenchOptions = {}): Promise<JobBenchFigures> {
  const count = options.subscriptions ?? 100_000;
  const runs = options.runs ?? 5;
  const log = options.log ?? (() => undefined);
  const logger = createLogger("bench", "silent");
  const run = Date.now().toString(36);
  const [ferretDb, nats]: [FerretDb, NatsServer] = await Promise.all([startFerretDb(options.postgresqlUrl ? { postgresqlUrl: options.postgresqlUrl } : {}), startNatsServer()]);
  const names = { empty: `bench_jobs_empty_${run}`, full: `bench_jobs_full_${run}` };
  const databases: Database[] = [];
  try {
    const open = async (name: string) => {
      const db = await Database.connect(ferretDb.databaseUrl(name), logger, "bench");
      databases.push(db);
      await new MongoSubscriptionStore(db).ensureIndexes();
      return db;
    };
    const now = new Date();
    await open(names.empty);
    const full = await open(names.full);
    log(`seeding ${count} subscriptions, none due…`);
    const seedStarted = performance.now();
    await seed(full, count, now, log);
    const seedSeconds = Math.round((performance.now() - seedStarted) / 1000);

    const jobs: JobCost[] = [];
    for (const [name, work] of [
      [Jobs.expiryReminders.name, runExpiryReminders],
      [Jobs.renewalCheck.name, runRenewalCheck],
    ] as const) {
      const timings = { empty: [] as number[], full: [] as number[] };
      for (const which of ["empty", "full"] as const) {
        const url = ferretDb.databaseUrl(names[which]);
        await timeRun(name, url, nats.url, now, work);
        for (let i = 0; i < runs; i++) {
          const { ms, result } = await timeRun(name, url, nats.url, now, work);
          if (result.processed !== 0 || (result.counts?.candidates ?? 0) !== 0) throw new Error(`${name} found work over the ${which} database: ${JSON.stringify(result)}`);
          timings[which].push(Math.round(ms));
        }
      }
      const fullMs = median(timings.full);
      const emptyMs = median(timings.empty);
      jobs.push({ job: name, fullMs, emptyMs, ratio: Math.round((fullMs / emptyMs) * 100) / 100, fullRunsMs: timings.full, emptyRunsMs: timings.empty });
      log(`${name}: ${fullMs} ms over ${count} vs ${emptyMs} ms over none`);
    }
    const busyDay = addDays(dayOf(now), 60);
    const explained = await full.db.command({ explain: { find: expiryDayCollection(busyDay), filter: { status: "ACTIVE" } } });
    const fieldFilter = { status: "ACTIVE", expiryDay: addDays(dayOf(now), 7) };
    const fieldExplained = await full.db.command({ explain: { find: SUBSCRIPTIONS_COLLECTION, filter: fieldFilter } });
    const fieldTimes: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      await full.collection(SUBSCRIPTIONS_COLLECTION).find(fieldFilter).toArray();
      fieldTimes.push(Math.round(performance.now() - started));
    }
    return {
      mongodbBackend: options.postgresqlUrl ? "FerretDB 1.24 on PostgreSQL" : "FerretDB 1.24 on SQLite",
      subscriptions: count,
      seedSeconds,
      jobs,
      dueQueryPlan: { filterPushdown: explained.filterPushdown === true, plan: JSON.stringify(explained.queryPlanner ?? {}) },
      fieldQueryPlan: { filterPushdown: fieldExplained.filterPushdown === true, plan: JSON.stringify(fieldExplained.queryPlanner ?? {}), medianMs: median(fieldTimes) },
    };
  } finally {
    for (const db of databases) await db.db.dropDatabase().catch(() => undefined);
    for (const db of databases) await db.close().catch(() => undefined);
    await Promise.all([ferretDb.stop(), nats.stop()]);
  }
}

/** The line the main bench table shows. */
export function jobBenchLine(f: JobBenchFigures): string {
  return f.jobs.map((j) => `${j.job} ${j.fullMs} ms over ${f.subscriptions} subscriptions none due vs ${j.emptyMs} ms over none (${j.ratio}×)`).join("; ");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchJobs({
    subscriptions: Number(process.env.BENCH_SUBSCRIPTIONS ?? 100_000),
    runs: Number(process.env.BENCH_JOB_RUNS ?? 5),
    postgresqlUrl: await postgresqlUrl(),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  console.log(jobBenchLine(figures));
  console.log(JSON.stringify(figures, null, 2));
}
