// The webhook engine's two bench lines, as a module the main bench calls
// (benchWebhooks() returns the figures) and a small CLI that prints them:
//   node test/dist/bench/webhooks.js            (npm run bench:webhooks)
// 1. Delivery throughput: messages registered and delivered (claim, send,
//    record, each write group-committed) per second, against a bare undici
//    POST loop of the same signed body to the same receiver, at the same
//    concurrency. The receiver is the webhook inbox (it verifies each
//    signature), in this process for both runs.
// 2. Sweep cost: one webhook-retry pass over 100 due messages with 100,000
//    delivered messages (their ids, claims and attempt records included) in
//    the history, against the same pass with an empty history.
// FerretDB runs on PostgreSQL when one answers (BENCH_POSTGRESQL_URL or
// 127.0.0.1:5432) unless BENCH_BACKEND=sqlite, otherwise on SQLite. Env: BENCH_WEBHOOKS (2000),
// BENCH_WEBHOOK_CONCURRENCY (16), BENCH_HISTORY (100000), BENCH_DUE (100).
import { connect } from "node:net";
import { startFerretDb, type FerretDb } from "@t2m/devstack";
import { createLogger, Database, type Logger } from "@t2m/platform";
import {
  createNotificationMetrics,
  DeliveryEngine,
  DeliveryStore,
  singleEndpoint,
  WebhookSender,
  type OrderOutcome,
  webhookId as webhookIdOf,
  buildPayload,
  orderWebhookEvent,
} from "@t2m/notification";
import { SandboxDefaults } from "@t2m/topology";
import { startWebhookInbox, type WebhookInbox } from "@t2m/webhook-inbox";
import { Registry } from "prom-client";
import { Webhook } from "standardwebhooks";
import { Agent, request } from "undici";

export interface WebhookBenchOptions {
  readonly messages?: number;
  readonly concurrency?: number;
  readonly history?: number;
  readonly due?: number;
  /** FerretDB on this PostgreSQL; undefined: SQLite. */
  readonly postgresqlUrl?: string;
  readonly log?: (line: string) => void;
}

export interface WebhookBenchFigures {
  readonly mongodbBackend: string;
  readonly delivery: {
    readonly messages: number;
    readonly concurrency: number;
    readonly enginePerSecond: number;
    readonly bareUndiciPerSecond: number;
    /** enginePerSecond / bareUndiciPerSecond (goal ≥ 0.5). */
    readonly ratio: number;
  };
  readonly sweep: {
    readonly due: number;
    readonly history: number;
    /** One pass over `due` due messages with an empty history. */
    readonly emptyHistoryMs: number;
    /** The same pass with `history` delivered messages (and one attempt each) stored. */
    readonly fullHistoryMs: number;
    /** A pass with nothing due, both ways: what the CronJob costs every 5 minutes. */
    readonly idleEmptyMs: number;
    readonly idleFullMs: number;
    /** How long filling the history took (not part of the comparison). */
    readonly historyInsertSeconds: number;
  };
}

const outcome = (orderId: string): OrderOutcome => ({
  type: "ORDER_FULFILLED",
  orderId,
  productId: "ZOHO_CRM_STD",
  tenure: "12_MONTHS",
  customerId: `C-${orderId}`,
  zohoSalesOrderId: "4815000000044020",
  activationReference: "ZL-ABCDEF123456",
  expiryDate: new Date("2027-12-01T00:00:00Z"),
  occurredAt: new Date(),
});

function engineFor(store: DeliveryStore, inbox: WebhookInbox, sender: WebhookSender, logger: Logger) {
  return new DeliveryEngine({
    store,
    sender,
    endpoints: singleEndpoint(inbox.webhookUrl, SandboxDefaults.t2mobileWebhookSecret),
    schedule: { delaysMs: [30_000], delaysByType: {}, jitter: 0.2, throttleFloorMs: 60_000, retryAfterMaxMs: 3_600_000 },
    disableRules: { afterDeadInARow: 1_000_000, afterFailingMs: 86_400_000 },
    leaseMs: 60_000,
    metrics: createNotificationMetrics(new Registry()),
    logger,
    onDue: () => undefined,
  });
}

async function pool(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) await work(i);
    }),
  );
  return (performance.now() - started) / 1000;
}

export async function postgresqlUrl(): Promise<string | undefined> {
  if (process.env.BENCH_BACKEND === "sqlite") return undefined;
  if (process.env.BENCH_POSTGRESQL_URL) return process.env.BENCH_POSTGRESQL_URL;
  const open = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port: 5432 });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.setTimeout(1_000, () => (socket.destroy(), resolve(false)));
  });
  return open ? "postgres://postgres@127.0.0.1:5432/postgres" : undefined;
}

export async function benchWebhooks(options: WebhookBenchOptions = {}): Promise<WebhookBenchFigures> {
  const messages = options.messages ?? 2_000;
  const concurrency = options.concurrency ?? 16;
  const history = options.history ?? 100_000;
  const due = options.due ?? 100;
  const log = options.log ?? (() => undefined);
  const logger = createLogger("bench", "silent");
  const run = Date.now().toString(36);
  const ferretDb: FerretDb = await startFerretDb(options.postgresqlUrl ? { postgresqlUrl: options.postgresqlUrl } : {});
  const inbox = await startWebhookInbox();
  const databases: Database[] = [];
  const open = async (name: string) => {
    const db = await Database.connect(ferretDb.databaseUrl(`bench_${name}_${run}`), logger, "bench");
    databases.push(db);
    const store = new DeliveryStore(db);
    await store.ensureIndexes();
    return { db, store };
  };
  const sender = new WebhookSender({ timeoutMs: 15_000 });
  try {
    // ---- 1. delivery throughput
    const warm = await open("warm");
    const warmEngine = engineFor(warm.store, inbox, sender, logger);
    await pool(200, concurrency, async (i) => {
      await warmEngine.deliver(orderWebhookEvent(outcome(`W${run}-${i}`)));
    });
    const { store } = await open("delivery");
    const engine = engineFor(store, inbox, sender, logger);
    log(`delivering ${messages} webhooks through the engine, ${concurrency} at a time…`);
    const engineSeconds = await pool(messages, concurrency, async (i) => {
      const report = await engine.deliver(orderWebhookEvent(outcome(`D${run}-${i}`)));
      if (report?.kind !== "delivered") throw new Error(`webhook of order D${run}-${i}: ${report?.kind ?? "not attempted"}`);
    });
    log(`posting ${messages} signed webhooks with a bare undici loop…`);
    const agent = new Agent({ connections: 64 });
    const signer = new Webhook(SandboxDefaults.t2mobileWebhookSecret);
    const body = JSON.stringify(buildPayload(outcome(`B${run}`)));
    const bareSeconds = await pool(messages, concurrency, async (i) => {
      const id = webhookIdOf("ORDER_FULFILLED", `B${run}-${i}`);
      const at = new Date();
      const res = await request(inbox.webhookUrl, {
        method: "POST",
        dispatcher: agent,
        headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": signer.sign(id, at, body) },
        body,
      });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`bare POST: HTTP ${res.statusCode}`);
    });
    await agent.close();

    // ---- 2. sweep cost: the same due messages over an empty and a full history
    const sweepOnce = async (s: DeliveryStore) => {
      const e = engineFor(s, inbox, sender, logger);
      const started = performance.now();
      const report = await e.sweep({ concurrency: 8 });
      return { ms: Math.round(performance.now() - started), report };
    };
    const seedDue = async (s: DeliveryStore, prefix: string) => {
      const e = engineFor(s, inbox, sender, logger);
      for (let i = 0; i < due; i++) await e.register(outcome(`${prefix}-${i}`));
    };
    const empty = await open("sweep_empty");
    const idleEmpty = await sweepOnce(empty.store);
    await seedDue(empty.store, `SE${run}`);
    const emptyPass = await sweepOnce(empty.store);
    if (emptyPass.report.delivered !== due) throw new Error(`sweep (empty history) delivered ${emptyPass.report.delivered} of ${due}: ${JSON.stringify(emptyPass.report)}`);

    const full = await open("sweep_full");
    log(`storing ${history} delivered messages and their attempts…`);
    const insertStarted = performance.now();
    const template = (await warm.store.messages.findOne({}))!;
    const logTemplate = (await warm.store.logs.findOne({}))!;
    const claimTemplate = (await warm.store.claims.findOne({}))!;
    for (let from = 0; from < history; from += 1_000) {
      const now = new Date();
      const batch = Array.from({ length: Math.min(1_000, history - from) }, (_, k) => {
        const orderId = `H${run}-${from + k}`;
        const id = webhookIdOf("ORDER_FULFILLED", orderId);
        return { id, orderId };
      });
      await full.store.messages.insertMany(
        batch.map(({ id, orderId }) => ({ ...(template as object), _id: id, webhookId: id, orderId, status: "DELIVERED", attempts: 1, createdAt: now, updatedAt: now, deliveredAt: now, createdHour: now.toISOString().slice(0, 13) }) as never),
        { ordered: false },
      );
      await full.store.logs.insertMany(
        batch.map(({ id, orderId }) => ({ ...logTemplate, _id: `${id}#1`, webhookId: id, orderId }) as never),
        { ordered: false },
      );
      await full.store.claims.insertMany(
        batch.map(({ id, orderId }) => ({ ...claimTemplate, _id: `${id}#1`, webhookId: id, orderId }) as never),
        { ordered: false },
      );
      await full.store.ids.insertMany(batch.map(({ id, orderId }) => ({ _id: id, orderId, createdAt: now })), { ordered: false });
    }
    const historyInsertSeconds = (performance.now() - insertStarted) / 1000;
    const idleFull = await sweepOnce(full.store);
    await seedDue(full.store, `SF${run}`);
    const fullPass = await sweepOnce(full.store);
    if (fullPass.report.delivered !== due) throw new Error(`sweep (full history) delivered ${fullPass.report.delivered} of ${due}`);

    const enginePerSecond = Math.round(messages / engineSeconds);
    const bareUndiciPerSecond = Math.round(messages / bareSeconds);
    return {
      mongodbBackend: options.postgresqlUrl ? "FerretDB 1.24 on PostgreSQL" : "FerretDB 1.24 on SQLite",
      delivery: { messages, concurrency, enginePerSecond, bareUndiciPerSecond, ratio: Math.round((enginePerSecond / bareUndiciPerSecond) * 100) / 100 },
      sweep: {
        due,
        history,
        emptyHistoryMs: emptyPass.ms,
        fullHistoryMs: fullPass.ms,
        idleEmptyMs: idleEmpty.ms,
        idleFullMs: idleFull.ms,
        historyInsertSeconds: Math.round(historyInsertSeconds),
      },
    };
  } finally {
    await sender.close();
    for (const db of databases) await db.db.dropDatabase().catch(() => undefined);
    for (const db of databases) await db.close();
    await inbox.close();
    await ferretDb.stop();
  }
}

/** The two lines the main bench table shows. */
export function benchLines(f: WebhookBenchFigures): string[] {
  return [
    `webhook delivery: ${f.delivery.enginePerSecond}/s through the engine vs ${f.delivery.bareUndiciPerSecond}/s bare undici POSTs to the same receiver (${Math.round(f.delivery.ratio * 100)} %; ${f.delivery.messages} messages, ${f.delivery.concurrency} at a time)`,
    `webhook-retry sweep of ${f.sweep.due} due messages: ${f.sweep.fullHistoryMs} ms with ${f.sweep.history} delivered in the history vs ${f.sweep.emptyHistoryMs} ms with none (nothing due: ${f.sweep.idleFullMs} vs ${f.sweep.idleEmptyMs} ms)`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchWebhooks({
    messages: Number(process.env.BENCH_WEBHOOKS ?? 2_000),
    concurrency: Number(process.env.BENCH_WEBHOOK_CONCURRENCY ?? 16),
    history: Number(process.env.BENCH_HISTORY ?? 100_000),
    due: Number(process.env.BENCH_DUE ?? 100),
    postgresqlUrl: await postgresqlUrl(),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  for (const line of benchLines(figures)) console.log(line);
  console.log(JSON.stringify(figures, null, 2));
}
