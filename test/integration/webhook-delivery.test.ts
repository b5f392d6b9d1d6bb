// The webhook delivery engine on a real MongoDB-wire store (FerretDB) with
// the real receiver (the webhook inbox, verifying with standardwebhooks):
// several engines (two replicas' live paths and the webhook-retry sweep)
// racing on the same due messages, takeover of an abandoned attempt,
// per-order ordering with a dead earlier event, 410 Gone disabling the
// endpoint, and the job framework's run records and metrics.
import { startFerretDb, type FerretDb } from "@t2m/devstack";
import { createLogger, Database, exportJobMetrics, JOB_RUNS_COLLECTION, runJob } from "@t2m/platform";
import { createNotificationMetrics, DeliveryEngine, DeliveryStore, newMessage, orderWebhookEvent, singleEndpoint, WebhookSender, webhookId, webhookRetry, loadNotificationConfig, type OrderOutcome } from "@t2m/notification";
import { startWebhookInbox, type WebhookInbox } from "@t2m/webhook-inbox";
import { SandboxDefaults } from "@t2m/topology";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let ferretDb: FerretDb;
let database: Database;
let inbox: WebhookInbox;
const logger = createLogger("webhook-test", "silent");
const senders: WebhookSender[] = [];
let dbCount = 0;

beforeAll(async () => {
  ferretDb = await startFerretDb();
  inbox = await startWebhookInbox();
}, 120_000);

afterAll(async () => {
  for (const s of senders) await s.close();
  await database?.close();
  await inbox?.close();
  await ferretDb?.stop();
});

/** A fresh database per test, so tests do not see each other's messages. */
async function freshStore(): Promise<DeliveryStore> {
  await database?.close();
  database = await Database.connect(ferretDb.databaseUrl(`webhooks${++dbCount}`), logger, "test");
  const store = new DeliveryStore(database);
  await store.ensureIndexes();
  inbox.plan.reset();
  return store;
}

function engine(store: DeliveryStore, options: { delays?: number[]; onDue?: (id: string, at: Date) => void; disableAfter?: number; leaseMs?: number } = {}) {
  const sender = new WebhookSender({ timeoutMs: 5_000 });
  senders.push(sender);
  return new DeliveryEngine({
    store,
    sender,
    endpoints: singleEndpoint(inbox.webhookUrl, SandboxDefaults.t2mobileWebhookSecret),
    schedule: { delaysMs: options.delays ?? [30, 30, 30, 30, 30, 30], delaysByType: {}, jitter: 0, throttleFloorMs: 0, retryAfterMaxMs: 1_000 },
    disableRules: { afterDeadInARow: options.disableAfter ?? 100, afterFailingMs: 86_400_000 },
    leaseMs: options.leaseMs ?? 15_000,
    metrics: createNotificationMetrics(new Registry()),
    logger,
    onDue: options.onDue ?? (() => undefined),
  });
}

let orderSeq = 0;
const outcome = (orderId = `T2M-W${++orderSeq}-${Date.now().toString(36)}`, type: OrderOutcome["type"] = "ORDER_FULFILLED", occurredAt = new Date()): OrderOutcome => ({
  type,
  orderId,
  productId: "ZOHO_CRM_STD",
  tenure: "12_MONTHS",
  customerId: "C1",
  zohoSalesOrderId: "SO-1",
  activationReference: "ZL-1",
  occurredAt,
  ...(type === "ORDER_FAILED" ? { failureCode: "TIMED_OUT", reason: "timed out" } : {}),
});

const pairs = (orderIds: Set<string>) =>
  inbox.messages({ verified: true }).filter((m) => m.orderId !== null && orderIds.has(m.orderId)).map((m) => `${m.webhookId}@${m.headers["webhook-attempt"] ?? "?"}`);

describe("racing engines on 200 due messages", () => {
  it("never sends one attempt twice and never moves a message backwards", async () => {
    const store = await freshStore();
    inbox.clear();
    const live1 = engine(store);
    const live2 = engine(store);
    const sweeper = engine(store);
    const registered = [];
    for (let i = 0; i < 200; i++) registered.push((await live1.register(outcome())).message);
    const orderIds = new Set(registered.map((m) => m.orderId));
    const ids = registered.map((m) => m.webhookId);
    // The receiver fails the first 150 verified deliveries, so most messages go through RETRYING.
    inbox.respondWith(503, 150);

    // Watch every message's status while they race: once DELIVERED, never anything else; attempts never go down.
    const seen = new Map<string, { status: string; attempts: number }>();
    const violations: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        // A message in the history is delivered (final); until its working-set entry is deleted a moment later, the history wins.
        const snapshot = new Map<string, { _id: string; status: string; attempts: number }>();
        for (const m of await store.undelivered.find({}).toArray()) snapshot.set(m._id, m);
        for (const m of await store.messages.find({}).toArray()) snapshot.set(m._id, m);
        for (const m of snapshot.values()) {
          const before = seen.get(m._id);
          if (before && ((before.status === "DELIVERED" && m.status !== "DELIVERED") || m.attempts < before.attempts)) {
            violations.push(`${m._id}: ${before.status}/${before.attempts} -> ${m.status}/${m.attempts}`);
          }
          seen.set(m._id, { status: m.status, attempts: m.attempts });
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const deadline = Date.now() + 90_000;
    for (let round = 0; (await store.allEntries()).length > 0; round++) {
      if (Date.now() > deadline) throw new Error(`still undelivered after ${round} rounds: ${(await store.allEntries()).length}`);
      // Two replicas' due timers fire for every message, in opposite orders, while the sweep runs.
      const all = async (e: DeliveryEngine, order: string[]) => {
        const queue = [...order];
        await Promise.all(Array.from({ length: 8 }, async () => {
          for (let id = queue.shift(); id; id = queue.shift()) await e.attempt(id);
        }));
      };
      await Promise.all([all(live1, ids), all(live2, [...ids].reverse()), sweeper.sweep({ concurrency: 8 })]);
      await new Promise((r) => setTimeout(r, 40));
    }
    watching = false;
    await watcher;

    expect(violations).toEqual([]);
    const sent = pairs(orderIds);
    expect(new Set(sent).size, "an attempt was sent twice").toBe(sent.length);
    expect(sent.length).toBeGreaterThanOrEqual(350);
    for (const id of ids) {
      const message = await store.findMessage(id);
      expect(message?.status).toBe("DELIVERED");
      const log = await store.attemptsForWebhook(id);
      expect(log.map((a) => a.attemptNumber)).toEqual(log.map((_, i) => i + 1));
      expect(log.filter((a) => a.outcome === "DELIVERED").map((a) => a.attemptNumber)).toEqual([log.length]);
      expect(message?.attempts).toBe(log.length);
    }
  }, 150_000); // its own deadline is 90 s of rounds; on a loaded machine a round takes seconds
});

describe("the live path (deliver)", () => {
  it("claims an outcome's first attempt as it stores it, delivers once, and a repeat of the event sends nothing", async () => {
    const store = await freshStore();
    inbox.clear();
    const e = engine(store);
    const event = orderWebhookEvent(outcome());
    expect(await e.deliver(event)).toMatchObject({ kind: "delivered", attempt: 1 });
    expect(await e.deliver(event)).toBeUndefined();
    const [message] = await store.messagesForOrder(event.orderId);
    expect(message).toMatchObject({ status: "DELIVERED", attempts: 1 });
    expect(await store.findEntry(message!.webhookId)).toBeUndefined();
    expect((await store.attemptsForWebhook(message!.webhookId)).map((a) => [a.attemptNumber, a.outcome])).toEqual([[1, "DELIVERED"]]);
    expect(inbox.messages({ verified: true }).filter((m) => m.orderId === event.orderId)).toHaveLength(1);
  });

  it("recovers a message whose first claim was stored without it: the claim is taken over after its lease", async () => {
    const store = await freshStore();
    inbox.clear();
    const e = engine(store);
    const event = orderWebhookEvent(outcome());
    // A process registered the id and claimed attempt 1, then died before the working-set entry was written.
    const message = newMessage({ webhookId: webhookId(event.type, event.key), eventType: event.type, orderId: event.orderId, endpointId: "t2mobile", payload: "{}", occurredAt: event.occurredAt }, new Date());
    await store.ids.insertOne({ _id: message.webhookId, orderId: message.orderId, createdAt: message.createdAt });
    await store.claim({
      webhookId: message.webhookId, eventType: message.eventType, orderId: message.orderId, endpointId: message.endpointId, attemptNumber: 1, replay: 0,
      payload: message.payload, claimedAt: new Date(Date.now() - 1_000), leaseUntil: new Date(Date.now() - 900), outcome: "IN_FLIGHT",
      attemptedAt: new Date(Date.now() - 1_000), httpStatus: 0, durationMs: 0, error: null, responseBody: "", responseTruncated: false, succeeded: false, nextRetryAt: null,
    });
    // The event comes again (it was never acknowledged): the message is stored, and attempt 2 delivers it.
    expect(await e.deliver(event)).toMatchObject({ kind: "delivered", attempt: 2 });
    expect(inbox.messages({ verified: true }).filter((m) => m.orderId === event.orderId)).toHaveLength(1);
  });
});

describe("an attempt whose holder stopped", () => {
  it("is shown abandoned once its lease runs out, and the next attempt takes the message over", async () => {
    const store = await freshStore();
    const e = engine(store);
    const { message } = await e.register(outcome());
    // A holder claimed attempt 1 and died before sending.
    await store.claim({
      webhookId: message.webhookId, eventType: message.eventType, orderId: message.orderId, endpointId: message.endpointId, attemptNumber: 1, replay: 0,
      payload: message.payload, claimedAt: new Date(Date.now() - 10_000), leaseUntil: new Date(Date.now() - 5_000), outcome: "IN_FLIGHT",
      attemptedAt: new Date(Date.now() - 10_000), httpStatus: 0, durationMs: 0, error: null, responseBody: "", responseTruncated: false, succeeded: false, nextRetryAt: null,
    });
    expect(await e.attempt(message.webhookId)).toMatchObject({ kind: "delivered", attempt: 2 });
    const log = await store.attemptsForWebhook(message.webhookId);
    expect(log.map((a) => [a.attemptNumber, a.outcome])).toEqual([[1, "IN_FLIGHT"], [2, "DELIVERED"]]);
  });

  it("leaves a claim whose lease still runs alone", async () => {
    const store = await freshStore();
    const e = engine(store);
    const { message } = await e.register(outcome());
    await store.claim({
      webhookId: message.webhookId, eventType: message.eventType, orderId: message.orderId, endpointId: message.endpointId, attemptNumber: 1, replay: 0,
      payload: message.payload, claimedAt: new Date(), leaseUntil: new Date(Date.now() + 60_000), outcome: "IN_FLIGHT",
      attemptedAt: new Date(), httpStatus: 0, durationMs: 0, error: null, responseBody: "", responseTruncated: false, succeeded: false, nextRetryAt: null,
    });
    expect(await e.attempt(message.webhookId)).toMatchObject({ kind: "busy" });
  });
});

describe("per-order ordering", () => {
  it("holds a later event behind an earlier dead one; replaying the order delivers both, earliest first", async () => {
    const store = await freshStore();
    inbox.clear();
    const e = engine(store, { delays: [] });
    const orderId = `T2M-ORD-${Date.now().toString(36)}`;
    const first = await e.register(outcome(orderId, "ORDER_FULFILLED", new Date(Date.now() - 60_000)));
    inbox.respondWith(500, 1);
    expect(await e.attempt(first.message.webhookId)).toMatchObject({ kind: "dead" });
    // A later event of the same order (a reminder: not an outcome, which is always an order's first webhook) waits while the earlier one is dead.
    const reminder = newMessage(
      { webhookId: `msg_reminder_${orderId}`, eventType: "EXPIRY_REMINDER" as never, orderId, endpointId: "t2mobile", payload: JSON.stringify({ type: "EXPIRY_REMINDER", data: { orderId } }), occurredAt: new Date() },
      new Date(),
    );
    const later = await store.register(reminder);
    expect(await e.attempt(later.message.webhookId)).toMatchObject({ kind: "blocked" });
    expect((await e.sweep({ concurrency: 2 })).blocked).toBe(1);

    const due: string[] = [];
    const replaying = engine(store, { delays: [], onDue: (id) => due.push(id) });
    expect(await replaying.replayOrder(orderId)).toEqual([first.message.webhookId]);
    for (const id of due.splice(0)) await replaying.attempt(id);
    for (const id of due.splice(0)) await replaying.attempt(id);
    const received = inbox.messages({ orderId, verified: true }).filter((m) => m.responseStatus === 200).map((m) => m.webhookId);
    expect(received).toEqual([first.message.webhookId, later.message.webhookId]);
    expect((await store.findMessage(first.message.webhookId))?.replays).toBe(1);
  });
});

describe("410 Gone", () => {
  it("kills the message and disables the endpoint; nothing is sent until it is enabled, which replays what died", async () => {
    const store = await freshStore();
    inbox.clear();
    const e = engine(store);
    const gone = await e.register(outcome());
    inbox.respondWith(410, 1);
    expect(await e.attempt(gone.message.webhookId)).toMatchObject({ kind: "dead" });
    expect(await e.currentHealth("t2mobile", true)).toMatchObject({ disabled: true, disabledReason: "410 Gone" });
    const meanwhile = await e.register(outcome());
    expect(await e.attempt(meanwhile.message.webhookId)).toMatchObject({ kind: "not-sent" });
    expect(inbox.messages({ orderId: meanwhile.message.orderId })).toHaveLength(0);

    const { health, replayed } = await e.enableEndpoint("t2mobile");
    expect(health.disabled).toBe(false);
    expect(replayed.sort()).toEqual([gone.message.webhookId, meanwhile.message.webhookId].sort());
    for (const id of replayed) expect(await e.attempt(id)).toMatchObject({ kind: "delivered" });
  });
});

describe("the webhook-retry job", () => {
  it("sends what is due, records its run in job_runs, and the exporter turns runs into gauges", async () => {
    const store = await freshStore();
    inbox.clear();
    const e = engine(store);
    const { message } = await e.register(outcome());
    const config = loadNotificationConfig({ MONGODB_URL: ferretDb.databaseUrl(`webhooks${dbCount}`), T2MOBILE_WEBHOOK_URL: inbox.webhookUrl });
    const summary = await runJob({
      name: "webhook-retry",
      mongodbUrl: config.MONGODB_URL,
      argv: ["--now", new Date(Date.now() + 1_000).toISOString()],
      env: {},
      logger,
      run: (ctx) => webhookRetry(ctx, config),
    });
    expect(summary).toMatchObject({ outcome: "succeeded", run: 1, result: { processed: 1, failed: 0, counts: { delivered: 1 } } });
    expect((await store.findMessage(message.webhookId))?.status).toBe("DELIVERED");
    const second = await runJob({ name: "webhook-retry", mongodbUrl: config.MONGODB_URL, argv: [], env: {}, logger, run: async () => ({ processed: 0, failed: 2 }) });
    expect(second).toMatchObject({ outcome: "failed", run: 2 });
    const runs = await database.collection(JOB_RUNS_COLLECTION).find({}).sort({ run: 1 }).toArray();
    expect(runs.map((r) => [r._id, r.outcome, r.processed])).toEqual([["webhook-retry#1", "succeeded", 1], ["webhook-retry#2", "failed", 0]]);

    const registry = new Registry();
    const exporter = exportJobMetrics({ database, registry, jobs: ["webhook-retry"], logger, intervalMs: 60_000 });
    await exporter.refresh();
    exporter.stop();
    const text = await registry.metrics();
    expect(text).toMatch(/t2m_job_last_run_failures\{job_name="webhook-retry"\} 2/);
    expect(text).toMatch(/t2m_job_last_run_items\{job_name="webhook-retry"\} 0/);
    const success = Number(/t2m_job_last_success_timestamp_seconds\{job_name="webhook-retry"\} ([\d.e+]+)/.exec(text)?.[1]);
    expect(success * 1000).toBe((runs[0]!.endedAt as Date).getTime());
  });

  it("is aborted cleanly by its signal and says so", async () => {
    await freshStore();
    const controller = new AbortController();
    controller.abort(new Error("SIGTERM received"));
    const summary = await runJob({ name: "abort-test", mongodbUrl: ferretDb.databaseUrl(`webhooks${dbCount}`), argv: [], env: {}, logger, signal: controller.signal, run: async (ctx) => ({ processed: ctx.signal.aborted ? 0 : 1, failed: 0 }) });
    expect(summary.outcome).toBe("aborted");
  });
});
