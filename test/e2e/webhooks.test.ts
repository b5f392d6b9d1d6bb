// Webhook delivery end to end: the whole platform as processes on real NATS
// and FerretDB, the webhook inbox told to fail, the webhook-retry job run as
// its CronJob runs it, and the attempt log read back over NotificationService.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { startStack, type Stack } from "@t2m/devstack";
import { createLogger, createMetrics, Database, EventBus, serviceClient } from "@t2m/platform";
import { AttemptOutcome, MessageStatus, NotificationService } from "@t2m/proto/notification/v1/notification";
import { OrderFulfilledSchema } from "@t2m/proto/events/v1/events";
import { createNotificationMetrics, DeliveryEngine, DeliveryStore, singleEndpoint, WebhookSender, type OrderOutcome } from "@t2m/notification";
import { OrderEvents } from "@t2m/topology";
import { Registry } from "prom-client";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inboxMessages, inboxReset, inboxRespondWith, newOrder, runStackJob, t2mobileClient, verifyWebhook, waitFor, type InboxMessage } from "./support.js";

const oldSecret = "whsec_aWNvbnRlY2gtdDJtb2JpbGUtc2FuZGJveC1zZWNyZXQ=";
const newSecret = "whsec_" + Buffer.from("t2mobile-rotated-webhook-secret!").toString("base64");

let stack: Stack;
let api: ReturnType<typeof t2mobileClient>;
let notification: ReturnType<typeof serviceClient<typeof NotificationService>>;

beforeAll(async () => {
  stack = await startStack({
    ports: "random",
    logLevel: "info",
    env: {
      NATS_ACK_WAIT_MS: "2000",
      WEBHOOK_RETRY_DELAYS_MS: "300,600,900,1200,1500",
      // A failed order's webhook waits a minute between attempts: only the job, run with a later clock, sends it sooner.
      WEBHOOK_RETRY_DELAYS_BY_TYPE: "ORDER_FAILED=60000",
      WEBHOOK_RETRY_JITTER: "0",
      WEBHOOK_THROTTLE_FLOOR_MS: "0",
      WEBHOOK_RETRY_AFTER_MAX_MS: "3000",
      WEBHOOK_ATTEMPT_LEASE_MS: "10000",
      WEBHOOK_STATS_INTERVAL_MS: "200",
      FULFILMENT_SWEEP_INTERVAL_MS: "500",
      RATE_LIMIT_PER_MINUTE: "100000",
      ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: "0",
      // A rotation's overlap: the old secret (T2MOBILE_WEBHOOK_SECRET) and the new one both sign.
      T2MOBILE_WEBHOOK_SECRET: oldSecret,
      T2MOBILE_WEBHOOK_SECRETS: newSecret,
    },
  });
  api = t2mobileClient(stack);
  notification = serviceClient(NotificationService, { baseUrl: stack.urls.notification, metrics: createMetrics("e2e"), token: stack.rpcToken("operator") });
});

afterAll(async () => {
  await stack?.stop();
});

async function placeOrder(): Promise<string> {
  const order = newOrder();
  const res = await api.submit(order, `key-${order.orderId}`);
  expect(res.status).toBe(202);
  return order.orderId;
}

const delivered = (orderId: string) =>
  waitFor(stack, `a delivered webhook for ${orderId}`, async () => {
    const attempts = (await notification.listDeliveries({ orderId })).attempts;
    return attempts.some((a) => a.succeeded) ? attempts : undefined;
  }, 45_000);

const metricValue = async (service: "notification", pattern: RegExp) => {
  const text = await (await fetch(`${stack.urls[service]}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? NaN);
};

describe("receiver down, then up", () => {
  it("is delivered by the live path's due timers: one webhook id, every attempt logged with its status", async () => {
    await inboxRespondWith(stack, 503, 3);
    const orderId = await placeOrder();
    const attempts = await delivered(orderId);
    expect(attempts.map((a) => [a.attemptNumber, a.httpStatus, a.outcome])).toEqual([
      [1, 503, AttemptOutcome.FAILED],
      [2, 503, AttemptOutcome.FAILED],
      [3, 503, AttemptOutcome.FAILED],
      [4, 200, AttemptOutcome.DELIVERED],
    ]);
    expect(new Set(attempts.map((a) => a.webhookId)).size).toBe(1);
    expect(attempts[0]!.error).toBe("HTTP 503");
    expect(attempts[0]!.nextRetryAt).toBeDefined();
    expect(attempts[3]!.nextRetryAt).toBeUndefined();
    expect(JSON.parse(attempts[0]!.requestBody)).toMatchObject({ type: "ORDER_FULFILLED", data: { orderId } });
    const received = await inboxMessages(stack, orderId);
    expect(new Set(received.map((m) => m.webhookId))).toEqual(new Set([attempts[0]!.webhookId]));
    expect(received.map((m) => m.headers["webhook-attempt"])).toEqual(["1", "2", "3", "4"]);
  });

  it("is delivered by the webhook-retry job when its retry is not due for a while yet (the job's clock moved on)", async () => {
    // A Zoho rejection fails the order; its ORDER_FAILED webhook then meets a receiver that is down.
    await fetch(`${stack.urls["zoho-sandbox"]}/__sandbox/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ operation: "createSalesOrder", status: 400, code: 1001, message: "Invalid value", times: 1 }),
    });
    await inboxRespondWith(stack, 503, 1);
    const orderId = await placeOrder();
    const first = await waitFor(stack, "the first attempt", async () => {
      const attempts = (await notification.listDeliveries({ orderId })).attempts;
      return attempts.length > 0 && attempts[0]!.outcome === AttemptOutcome.FAILED ? attempts : undefined;
    });
    const dueAt = first[0]!.nextRetryAt!;
    // ORDER_FAILED retries a minute later: the job run now finds nothing due; with its clock past the due time it sends.
    const early = await runStackJob(stack, "webhook-retry");
    expect(early.counts.delivered ?? 0).toBe(0);
    const later = await runStackJob(stack, "webhook-retry", ["--now", new Date(Number(dueAt.seconds) * 1000 + 1_000).toISOString()]);
    expect(later.counts.delivered).toBeGreaterThanOrEqual(1);
    const attempts = (await notification.listDeliveries({ orderId })).attempts;
    expect(attempts.map((a) => [a.attemptNumber, a.httpStatus])).toEqual([
      [1, 503],
      [2, 200],
    ]);
    const [webhook] = (await inboxMessages(stack, orderId)).filter((m) => m.verified && m.body.type === "ORDER_FAILED").slice(-1);
    expect((verifyWebhook(stack, webhook!) as any).data).toMatchObject({ status: "FAILED", failureCode: "ORDER_REJECTED" });
  });
});

describe("receiver down past the schedule", () => {
  it("dies, is listed, and a replay after the receiver recovers delivers it with the same id; the attempts tell the story", async () => {
    await inboxRespondWith(stack, 500, 6);
    const orderId = await placeOrder();
    const dead = await waitFor(stack, "the message to die", async () => {
      const { messages } = await notification.listDeadLetters({});
      return messages.find((m) => m.orderId === orderId);
    }, 45_000);
    expect(dead).toMatchObject({ status: MessageStatus.DEAD, attempts: 6, lastHttpStatus: 500 });
    const byStatus = await notification.listMessages({ status: MessageStatus.DEAD });
    expect(byStatus.messages.map((m) => m.webhookId)).toContain(dead.webhookId);
    await waitFor(stack, "the dead gauge", async () => ((await metricValue("notification", /^t2m_webhook_dead_messages\{[^}]*\} (\d+)/m)) >= 1 ? true : undefined));

    await inboxReset(stack);
    expect((await notification.replayOrder({ orderId })).webhookIds).toEqual([dead.webhookId]);
    const attempts = await delivered(orderId);
    expect(attempts.map((a) => [a.attemptNumber, a.httpStatus, a.replay])).toEqual([
      [1, 500, 0], [2, 500, 0], [3, 500, 0], [4, 500, 0], [5, 500, 0], [6, 500, 0], [7, 200, 1],
    ]);
    expect(new Set((await inboxMessages(stack, orderId)).map((m) => m.webhookId))).toEqual(new Set([dead.webhookId]));
    // Listed by time as well.
    const since = timestampFromDate(new Date(Date.now() - 5 * 60_000));
    const byTime = await notification.listAttempts({ since, limit: 1000 });
    expect(byTime.attempts.filter((a) => a.orderId === orderId)).toHaveLength(7);
    // Replaying a message that is not dead is refused.
    await expect(notification.replayMessage({ webhookId: dead.webhookId })).rejects.toThrow(/DELIVERED/);
  });
});

describe("the sweep and the live path race on 200 due messages", () => {
  it("sends no attempt twice and moves no message backwards", async () => {
    // 200 messages made due by a live engine (this test process, as a notification replica), while two
    // webhook-retry job processes sweep the same store and the receiver fails the first 100 deliveries.
    const database = await Database.connect(stack.mongodbUrl, createLogger("e2e", "silent"), "e2e");
    try {
      const store = new DeliveryStore(database);
      const sender = new WebhookSender({ timeoutMs: 5_000 });
      const live = new DeliveryEngine({
        store,
        sender,
        endpoints: singleEndpoint(stack.webhookUrl, oldSecret, [newSecret]),
        schedule: { delaysMs: [0, 0, 0, 0, 0], delaysByType: {}, jitter: 0, throttleFloorMs: 0, retryAfterMaxMs: 0 },
        disableRules: { afterDeadInARow: 1_000, afterFailingMs: 86_400_000 },
        leaseMs: 10_000,
        metrics: createNotificationMetrics(new Registry()),
        logger: createLogger("e2e", "silent"),
        onDue: () => undefined,
      });
      const orderIds = new Set<string>();
      const ids: string[] = [];
      for (let i = 0; i < 200; i++) {
        const outcome: OrderOutcome = { type: "ORDER_FULFILLED", orderId: `T2M-RACE-${Date.now().toString(36)}-${i}`, productId: "P", tenure: "12_MONTHS", customerId: "C", zohoSalesOrderId: "SO", activationReference: "ZL", occurredAt: new Date() };
        orderIds.add(outcome.orderId);
        ids.push((await live.register(outcome)).message.webhookId);
      }
      await inboxRespondWith(stack, 503, 100);
      const liveLoop = async () => {
        for (let round = 0; round < 20; round++) {
          const queue = [...ids];
          await Promise.all(Array.from({ length: 8 }, async () => {
            for (let id = queue.shift(); id; id = queue.shift()) await live.attempt(id);
          }));
          if ((await store.allEntries()).every((e) => !orderIds.has(e.orderId))) return;
        }
      };
      await Promise.all([liveLoop(), runStackJob(stack, "webhook-retry"), runStackJob(stack, "webhook-retry")]);
      await runStackJob(stack, "webhook-retry");
      await sender.close();

      const received: InboxMessage[] = (await (await fetch(`${stack.urls["webhook-inbox"]}/__inbox/messages`)).json() as { messages: InboxMessage[] }).messages.filter((m) => orderIds.has(m.orderId));
      const pairs = received.map((m) => `${m.webhookId}#${m.headers["webhook-attempt"]}`);
      expect(new Set(pairs).size, "one attempt of a message was sent twice").toBe(pairs.length);
      for (const id of ids) {
        const message = await store.findMessage(id);
        expect(message?.status, id).toBe("DELIVERED");
        const log = await store.attemptsForWebhook(id);
        expect(log.map((a) => a.attemptNumber)).toEqual(log.map((_, i) => i + 1));
        expect(log.filter((a) => a.succeeded).map((a) => a.attemptNumber)).toEqual([log.length]);
      }
    } finally {
      await database.close();
    }
  });
});

describe("Retry-After", () => {
  it("is honoured, and a longer ask is clamped to WEBHOOK_RETRY_AFTER_MAX_MS", async () => {
    await inboxRespondWith(stack, 503, 1, 2);
    const honoured = await placeOrder();
    const a = await delivered(honoured);
    const waited = (x: (typeof a)[number]) => Number(x.nextRetryAt!.seconds) * 1000 + x.nextRetryAt!.nanos / 1e6 - (Number(x.attemptedAt!.seconds) * 1000 + x.attemptedAt!.nanos / 1e6);
    expect(waited(a[0]!)).toBeGreaterThanOrEqual(2_000);
    expect(waited(a[0]!)).toBeLessThan(3_000);

    await inboxRespondWith(stack, 429, 1, 3_600);
    const clamped = await placeOrder();
    const b = await delivered(clamped);
    expect(b[0]!.httpStatus).toBe(429);
    expect(waited(b[0]!)).toBeGreaterThanOrEqual(3_000);
    expect(waited(b[0]!)).toBeLessThan(3_000 + 1_000);
  });
});

describe("secret rotation", () => {
  it("during the overlap a receiver with only the old secret verifies, and so does one with only the new", async () => {
    const orderId = await placeOrder();
    await delivered(orderId);
    const [message] = (await inboxMessages(stack, orderId)).filter((m) => m.verified);
    expect(message!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(oldSecret).verify(message!.rawBody, message!.headers)).toMatchObject({ data: { orderId } });
    expect(new Webhook(newSecret).verify(message!.rawBody, message!.headers)).toMatchObject({ data: { orderId } });

    // A receiver that has moved to the new secret only.
    await stack.restart("webhook-inbox", { env: { T2MOBILE_WEBHOOK_SECRET: newSecret, T2MOBILE_WEBHOOK_SECRETS: "" } });
    const next = await placeOrder();
    await delivered(next);
    expect((await inboxMessages(stack, next)).map((m) => m.verified)).toEqual([true]);
    await stack.restart("webhook-inbox");
  });
});

describe("the forgery guard", () => {
  it("refuses to sign an outcome event the stored order disagrees with, and counts it", async () => {
    const orderId = await placeOrder();
    await delivered(orderId);
    const events = await EventBus.connect({ url: stack.natsUrl, credentials: stack.natsAdmin, name: "e2e", logger: createLogger("e2e", "silent"), metrics: createMetrics("e2e"), ackWaitMs: 30_000 });
    try {
      const before = await metricValue("notification", /^t2m_webhook_events_rejected_total\{event_type="ORDER_FULFILLED",reason="id-mismatch"[^}]*\} (\d+)/m);
      const forged = create(OrderFulfilledSchema, { orderId, productId: "ZOHO_CRM_STD", tenure: "12_MONTHS", customerId: "someone-else", activationReference: "ZL-FORGED" });
      await events.publish(OrderEvents.fulfilled, forged, { messageId: `forged-${orderId}` });
      await waitFor(stack, "the forged event to be refused", async () => {
        const now = await metricValue("notification", /^t2m_webhook_events_rejected_total\{event_type="ORDER_FULFILLED",reason="id-mismatch"[^}]*\} (\d+)/m);
        return now === (Number.isNaN(before) ? 0 : before) + 1 ? true : undefined;
      });
      // Still the one genuine delivery.
      expect((await inboxMessages(stack, orderId)).filter((m) => m.verified)).toHaveLength(1);
      expect(JSON.stringify(await inboxMessages(stack, orderId))).not.toContain("ZL-FORGED");
    } finally {
      await events.close();
    }
  });
});

describe("410 Gone", () => {
  it("kills the message, disables the endpoint with its metric set, and enabling it replays what died meanwhile", async () => {
    await inboxRespondWith(stack, 410, 1);
    const gone = await placeOrder();
    await waitFor(stack, "the endpoint to be disabled", async () => ((await notification.getEndpoint({})).endpoint?.disabled ? true : undefined));
    expect((await notification.getEndpoint({})).endpoint).toMatchObject({ endpointId: "t2mobile", disabledReason: "410 Gone", signingSecrets: 2 });
    await waitFor(stack, "the endpoint-disabled metric", async () =>
      (await metricValue("notification", /^t2m_webhook_endpoint_disabled\{endpoint="t2mobile"[^}]*\} (\d+)/m)) === 1 ? true : undefined,
    );
    // Meanwhile nothing is sent: the next outcome dies unsent.
    const meanwhile = await placeOrder();
    const notSent = await waitFor(stack, "the next message to die unsent", async () => {
      const attempts = (await notification.listDeliveries({ orderId: meanwhile })).attempts;
      return attempts.find((a) => a.outcome === AttemptOutcome.NOT_SENT);
    });
    expect(notSent.error).toMatch(/disabled/);
    expect(await inboxMessages(stack, meanwhile)).toHaveLength(0);

    const enabled = await notification.enableEndpoint({});
    expect(enabled.endpoint?.disabled).toBe(false);
    expect(enabled.replayedWebhookIds).toHaveLength(2);
    await delivered(gone);
    await delivered(meanwhile);
    await waitFor(stack, "the endpoint-disabled metric to clear", async () =>
      (await metricValue("notification", /^t2m_webhook_endpoint_disabled\{endpoint="t2mobile"[^}]*\} (\d+)/m)) === 0 ? true : undefined,
    );
  });
});
