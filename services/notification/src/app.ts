import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  ack,
  backoffDelay,
  Code,
  decodeIf,
  exportJobMetrics,
  invalidArgument,
  reasonedError,
  repeatEvery,
  term,
  type Database,
  type Disposition,
  type EventBus,
  type ReceivedMessage,
  type ServiceRuntime,
  unexpectedErrorBackoff,
} from "@t2m/platform";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { AttemptOutcome, MessageStatus, NotificationService, type DeliveryAttemptSchema, type EndpointSchema, type WebhookMessageSchema } from "@t2m/proto/notification/v1/notification";
import { Consumers, Jobs, OrderEvents, SubscriptionEvents } from "@t2m/topology";
import { displayedOutcome, messageOf, type AttemptRecord } from "./domain/attempt.js";
import type { DisableRules, EndpointHealth } from "./domain/endpoint-health.js";
import { checkOutcome, checkSubscriptionEvent, type OutcomeCheck } from "./domain/forgery.js";
import { MESSAGE_STATUSES, type WebhookMessage } from "./domain/message.js";
import type { RetrySchedule } from "./domain/retry-policy.js";
import { orderWebhookEvent, subscriptionWebhookEvent, type OrderOutcome, type SubscriptionEvent } from "./domain/webhook.js";
import { DeliveryStore } from "./adapters/delivery-store.js";
import { endpointHost, T2MOBILE_ENDPOINT_ID, type EndpointDirectory } from "./adapters/endpoints.js";
import type { OrderLookup } from "./adapters/order-lookup.js";
import type { SubscriptionLookup } from "./adapters/subscription-lookup.js";
import type { WebhookSender } from "./adapters/webhook-sender.js";
import { DeliveryEngine, ReplayRefused } from "./engine.js";
import { createNotificationMetrics } from "./metrics.js";
import { DueTimers } from "./timers.js";

export interface NotificationSettings {
  readonly schedule: RetrySchedule;
  readonly disableRules: DisableRules;
  readonly leaseMs: number;
  readonly concurrency: number;
  readonly statsIntervalMs: number;
  /** The in-process sweep of the working set (due retries a dead process's timers held, abandoned attempts). */
  readonly sweepIntervalMs: number;
  readonly sweepConcurrency: number;
}

export interface NotificationDependencies {
  readonly runtime: ServiceRuntime;
  readonly database: Database;
  readonly events: EventBus;
  readonly sender: Pick<WebhookSender, "send">;
  readonly endpoints: EndpointDirectory;
  readonly orders: OrderLookup;
  /** The forgery guard of subscription events reads the stored subscription (provisioning). */
  readonly subscriptions: SubscriptionLookup;
  readonly settings: NotificationSettings;
}

/** The outcome carried by an OrderFulfilled or OrderFailed message; undefined for anything else. */
export function outcomeOf(message: { subject: string; data: Uint8Array }): OrderOutcome | undefined {
  const fulfilled = decodeIf(OrderEvents.fulfilled, message);
  if (fulfilled) {
    return {
      type: "ORDER_FULFILLED",
      orderId: fulfilled.orderId,
      productId: fulfilled.productId,
      tenure: fulfilled.tenure,
      customerId: fulfilled.customerId,
      zohoSalesOrderId: fulfilled.zohoSalesOrderId,
      activationReference: fulfilled.activationReference,
      expiryDate: fulfilled.expiryDate ? timestampDate(fulfilled.expiryDate) : undefined,
      occurredAt: fulfilled.fulfilledAt ? timestampDate(fulfilled.fulfilledAt) : new Date(),
      ...(fulfilled.renewsSubscriptionId ? { renewsSubscriptionId: fulfilled.renewsSubscriptionId } : {}),
    };
  }
  const failed = decodeIf(OrderEvents.failed, message);
  if (failed) {
    return {
      type: "ORDER_FAILED",
      orderId: failed.orderId,
      productId: failed.productId,
      tenure: failed.tenure,
      customerId: failed.customerId,
      zohoSalesOrderId: failed.zohoSalesOrderId,
      activationReference: failed.activationReference,
      occurredAt: failed.failedAt ? timestampDate(failed.failedAt) : new Date(),
      reason: failed.reason,
      failureCode: failed.failureCode,
      ...(failed.renewsSubscriptionId ? { renewsSubscriptionId: failed.renewsSubscriptionId } : {}),
    };
  }
  return undefined;
}

const required = (t: Timestamp | undefined) => (t ? timestampDate(t) : new Date(0));

/** The subscription event carried by a SUBSCRIPTIONS message; undefined for anything else. */
export function subscriptionEventOf(message: { subject: string; data: Uint8Array }): SubscriptionEvent | undefined {
  const common = (e: { subscriptionId: string; activationReference: string; productId: string; tenure: string; customerId: string; version: number }) => ({
    subscriptionId: e.subscriptionId,
    activationReference: e.activationReference,
    productId: e.productId,
    tenure: e.tenure,
    customerId: e.customerId,
    version: e.version,
  });
  const renewed = decodeIf(SubscriptionEvents.renewed, message);
  if (renewed) {
    return {
      ...common(renewed),
      type: "SUBSCRIPTION_RENEWED",
      renewalOrderId: renewed.renewalOrderId,
      zohoSalesOrderId: renewed.zohoSalesOrderId,
      ...(renewed.previousExpiryDate ? { previousExpiryDate: timestampDate(renewed.previousExpiryDate) } : {}),
      periodStart: required(renewed.periodStart),
      expiryDate: required(renewed.expiryDate),
      occurredAt: required(renewed.renewedAt),
    };
  }
  const revoked = decodeIf(SubscriptionEvents.revoked, message);
  if (revoked) return { ...common(revoked), type: "SUBSCRIPTION_REVOKED", reason: revoked.reason, expiryDate: required(revoked.expiryDate), occurredAt: required(revoked.revokedAt) };
  const expired = decodeIf(SubscriptionEvents.expired, message);
  if (expired) return { ...common(expired), type: "SUBSCRIPTION_EXPIRED", expiryDate: required(expired.expiryDate), occurredAt: required(expired.expiredAt) };
  const reminder = decodeIf(SubscriptionEvents.reminder, message);
  if (reminder) {
    return {
      ...common(reminder),
      type: "EXPIRY_REMINDER",
      thresholdDays: reminder.thresholdDays,
      daysUntilExpiry: reminder.daysUntilExpiry,
      customerEmail: reminder.customerEmail,
      ...(reminder.amount ? { amount: { currencyCode: reminder.amount.currencyCode, amountMinor: reminder.amount.amountMinor } } : {}),
      expiryDate: required(reminder.expiryDate),
      occurredAt: required(reminder.remindedAt),
    };
  }
  return undefined;
}

const ts = (date: Date | undefined | null) => (date ? timestampFromDate(date) : undefined);
const dateOf = (t: Timestamp | undefined) => (t ? timestampDate(t) : undefined);

const STATUS_TO_PROTO: Record<WebhookMessage["status"], MessageStatus> = {
  PENDING: MessageStatus.PENDING,
  DELIVERING: MessageStatus.DELIVERING,
  RETRYING: MessageStatus.RETRYING,
  DELIVERED: MessageStatus.DELIVERED,
  DEAD: MessageStatus.DEAD,
};
const OUTCOME_TO_PROTO = {
  IN_FLIGHT: AttemptOutcome.IN_FLIGHT,
  DELIVERED: AttemptOutcome.DELIVERED,
  FAILED: AttemptOutcome.FAILED,
  ABANDONED: AttemptOutcome.ABANDONED,
  NOT_SENT: AttemptOutcome.NOT_SENT,
} as const;

export function toAttemptMessage(a: AttemptRecord, now: Date): MessageInitShape<typeof DeliveryAttemptSchema> {
  return {
    webhookId: a.webhookId,
    eventType: a.eventType,
    orderId: a.orderId,
    attemptNumber: a.attemptNumber,
    httpStatus: a.httpStatus,
    durationMs: BigInt(a.durationMs),
    error: a.error ?? "",
    succeeded: a.succeeded,
    attemptedAt: ts(a.attemptedAt),
    nextRetryAt: ts(a.nextRetryAt),
    outcome: OUTCOME_TO_PROTO[displayedOutcome(a, now)],
    requestBody: a.payload,
    responseBody: a.responseBody,
    responseTruncated: a.responseTruncated,
    replay: a.replay,
    endpointId: a.endpointId,
  };
}

export function toMessageProto(m: WebhookMessage): MessageInitShape<typeof WebhookMessageSchema> {
  return {
    webhookId: m.webhookId,
    eventType: m.eventType,
    orderId: m.orderId,
    endpointId: m.endpointId,
    status: STATUS_TO_PROTO[m.status],
    attempts: m.attempts,
    replays: m.replays,
    occurredAt: ts(m.occurredAt),
    createdAt: ts(m.createdAt),
    updatedAt: ts(m.updatedAt),
    nextAttemptAt: ts(m.nextAttemptAt),
    deliveredAt: ts(m.deliveredAt),
    deadAt: ts(m.deadAt),
    lastError: m.lastError ?? m.deadReason ?? "",
    lastHttpStatus: m.lastHttpStatus ?? 0,
    payload: m.payload,
  };
}

const limitOf = (requested: number) => Math.min(1_000, requested > 0 ? requested : 200);

export async function createNotification(deps: NotificationDependencies) {
  const { runtime, events, settings } = deps;
  const logger = runtime.logger;
  const metrics = createNotificationMetrics(runtime.metrics.registry);
  const store = new DeliveryStore(deps.database);
  await store.ensureIndexes();
  let timers: DueTimers | undefined;
  const engine: DeliveryEngine = new DeliveryEngine({
    store,
    sender: deps.sender,
    endpoints: deps.endpoints,
    schedule: settings.schedule,
    disableRules: settings.disableRules,
    leaseMs: settings.leaseMs,
    metrics,
    logger,
    onDue: (id, dueAt) => timers?.at(id, dueAt),
  });
  timers = new DueTimers(async (id) => {
    try {
      const report = await engine.attempt(id);
      if (report.kind === "not-due") timers?.at(id, report.dueAt);
    } catch (err) {
      logger.warn({ err, webhookId: id }, "due attempt failed; the webhook-retry job will send it");
    }
  });

  /** Keeps a refused event (forged, or stale) out of the webhooks, counted and logged; nothing is signed. */
  const refuse = async (eventType: string, orderId: string, check: Extract<OutcomeCheck, { ok: false }>, event: unknown, message: ReceivedMessage) => {
    metrics.rejectedEvents.inc({ event_type: eventType, reason: check.reason });
    await store.recordRejected({
      eventType,
      orderId,
      reason: check.reason,
      detail: check.detail,
      event: JSON.stringify(event),
      rejectedAt: new Date(),
      streamSequence: message.streamSequence,
    });
    logger.warn({ orderId, eventType, reason: check.reason, detail: check.detail, streamSequence: message.streamSequence }, "event refused: it disagrees with the stored record; nothing is sent");
  };

  const handleSubscriptionEvent = async (message: ReceivedMessage): Promise<Disposition> => {
    const event = subscriptionEventOf(message);
    if (!event?.subscriptionId) return term(`not a subscription event: ${message.subject}`);
    // The forgery guard: the change must be in the subscription's history (a reminder: the current period's).
    const check = checkSubscriptionEvent(event, await deps.subscriptions.get(event.subscriptionId));
    if (!check.ok) {
      await refuse(event.type, event.subscriptionId, check, event, message);
      return ack();
    }
    await engine.deliver(subscriptionWebhookEvent(event));
    return ack();
  };

  const handleOutcome = async (message: ReceivedMessage): Promise<Disposition> => {
    const outcome = outcomeOf(message);
    if (!outcome?.orderId) return term(`not an order outcome event: ${message.subject}`);
    const log = logger.child({ orderId: outcome.orderId, eventType: outcome.type });
    // A renewal order that succeeded is told as its subscription's SUBSCRIPTION_RENEWED (provisioning publishes it).
    if (outcome.type === "ORDER_FULFILLED" && outcome.renewsSubscriptionId) {
      log.debug({ subscriptionId: outcome.renewsSubscriptionId }, "renewal order fulfilled: SUBSCRIPTION_RENEWED tells T2Mobile");
      return ack();
    }
    // The forgery guard: sign nothing the stored order does not confirm.
    const order = await deps.orders.get(outcome.orderId);
    const check = checkOutcome(outcome, order);
    if (!check.ok) {
      await refuse(outcome.type, outcome.orderId, check, outcome, message);
      return ack();
    }
    // The stored order says whose it is: the webhook goes to that partner, with the partner's own order id.
    await engine.deliver(orderWebhookEvent({ ...outcome, partnerId: order!.partnerId, partnerOrderId: order!.partnerOrderId }));
    // Registered and its first attempt recorded (or left to a timer or the sweep): the event is done with.
    return ack();
  };

  const endpointMessage = async (endpointId: string, health?: EndpointHealth): Promise<MessageInitShape<typeof EndpointSchema>> => {
    const endpoint = deps.endpoints.find(endpointId);
    if (!endpoint) throw reasonedError(Code.NotFound, "ENDPOINT_NOT_FOUND", `no endpoint "${endpointId}"`);
    const h = health ?? (await engine.currentHealth(endpointId, true));
    return {
      endpointId,
      host: endpointHost(endpoint),
      disabled: h.disabled,
      disabledReason: h.disabledReason ?? "",
      disabledAt: ts(h.disabledAt),
      deadStreak: h.deadStreak,
      failingSince: ts(h.failingSince),
      signingSecrets: endpoint.secrets.length,
    };
  };

  const replayError = (err: unknown) => {
    if (err instanceof ReplayRefused) {
      return reasonedError(err.reason === "NOT_FOUND" ? Code.NotFound : Code.FailedPrecondition, err.reason === "NOT_FOUND" ? "WEBHOOK_NOT_FOUND" : "WEBHOOK_NOT_DEAD", err.message);
    }
    return err;
  };

  const routes = (router: ConnectRouter) =>
    router.service(NotificationService, {
      listDeliveries: async (req) => {
        if (!req.orderId) throw invalidArgument([{ field: "order_id", description: "is required" }]);
        const now = new Date();
        return { attempts: (await store.attemptsForOrder(req.orderId)).map((a) => toAttemptMessage(a, now)) };
      },
      listAttempts: async (req) => {
        const limit = limitOf(req.limit);
        const since = dateOf(req.since);
        const until = dateOf(req.until) ?? new Date();
        if (!req.orderId && !req.webhookId && !since) throw invalidArgument([{ field: "since", description: "is required unless order_id or webhook_id is given" }]);
        if (since && !req.orderId && !req.webhookId && until.getTime() - since.getTime() > 7 * 24 * 3_600_000) {
          throw invalidArgument([{ field: "until", description: "a time window may span at most 7 days" }]);
        }
        let records = req.webhookId
          ? await store.attemptsForWebhook(req.webhookId)
          : req.orderId
            ? await store.attemptsForOrder(req.orderId)
            : await store.attemptsByTime(since!, until, limit);
        const now = new Date();
        records = records.filter(
          (a) =>
            (!req.orderId || a.orderId === req.orderId) &&
            (!since || a.claimedAt >= since) &&
            a.claimedAt < until &&
            (req.outcome === AttemptOutcome.UNSPECIFIED || OUTCOME_TO_PROTO[displayedOutcome(a, now)] === req.outcome),
        );
        return { attempts: records.slice(0, limit).map((a) => toAttemptMessage(a, now)), truncated: records.length > limit };
      },
      listMessages: async (req) => {
        const limit = limitOf(req.limit);
        const status = req.status === MessageStatus.UNSPECIFIED ? undefined : MESSAGE_STATUSES.find((s) => STATUS_TO_PROTO[s] === req.status);
        const after = dateOf(req.createdAfter);
        const before = dateOf(req.createdBefore) ?? new Date(Date.now() + 1);
        let messages: WebhookMessage[];
        if (req.orderId) {
          messages = await store.messagesForOrder(req.orderId);
        } else if (status === "DELIVERED" || status === undefined) {
          if (!after) throw invalidArgument([{ field: "created_after", description: "is required to list delivered messages (or give order_id)" }]);
          if (before.getTime() - after.getTime() > 7 * 24 * 3_600_000) throw invalidArgument([{ field: "created_before", description: "a time window may span at most 7 days" }]);
          messages = await store.deliveredByTime(after, before, limit);
          if (!status) messages.push(...(await store.allEntries()).filter((e) => e.createdAt >= after && e.createdAt < before).map(messageOf));
        } else {
          messages = (await store.allEntries()).filter((e) => e.status === status).map(messageOf);
        }
        messages = messages
          .filter((m) => (!status || m.status === status) && (!after || m.createdAt >= after) && m.createdAt < before)
          .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
        return { messages: messages.slice(0, limit).map(toMessageProto), truncated: messages.length > limit };
      },
      listDeadLetters: async (req) => {
        const limit = limitOf(req.limit);
        const since = dateOf(req.since);
        const messages = (await store.allEntries())
          .filter((e) => e.status === "DEAD" && (!since || (e.deadAt && e.deadAt >= since)))
          .map(messageOf)
          .sort((a, b) => (a.deadAt?.getTime() ?? 0) - (b.deadAt?.getTime() ?? 0));
        return { messages: messages.slice(0, limit).map(toMessageProto), truncated: messages.length > limit };
      },
      replayMessage: async (req) => {
        if (!req.webhookId) throw invalidArgument([{ field: "webhook_id", description: "is required" }]);
        try {
          return { message: toMessageProto(await engine.replay(req.webhookId)) };
        } catch (err) {
          throw replayError(err);
        }
      },
      replayDeadLetters: async (req) => {
        const since = dateOf(req.since);
        if (!since) throw invalidArgument([{ field: "since", description: "is required" }]);
        return { webhookIds: await engine.replayDeadSince(since) };
      },
      replayOrder: async (req) => {
        if (!req.orderId) throw invalidArgument([{ field: "order_id", description: "is required" }]);
        return { webhookIds: await engine.replayOrder(req.orderId) };
      },
      getEndpoint: async (req) => ({ endpoint: await endpointMessage(req.endpointId || T2MOBILE_ENDPOINT_ID) }),
      enableEndpoint: async (req) => {
        const endpointId = req.endpointId || T2MOBILE_ENDPOINT_ID;
        await endpointMessage(endpointId);
        const { health, replayed } = await engine.enableEndpoint(endpointId);
        return { endpoint: await endpointMessage(endpointId, health), replayedWebhookIds: replayed };
      },
    });

  /** Counts the working set and reads each endpoint's health for the gauges. */
  const refreshGauges = async () => {
    const stats = await engine.stats();
    metrics.deadMessages.set(stats.dead);
    for (const [status, count] of Object.entries(stats.byStatus)) metrics.undeliveredMessages.set({ status }, count);
    metrics.oldestUndeliveredAge.set(stats.oldestUndeliveredAt ? Math.max(0, (Date.now() - stats.oldestUndeliveredAt.getTime()) / 1000) : 0);
    for (const endpoint of deps.endpoints.all()) await engine.currentHealth(endpoint.id, true);
  };

  return {
    routes,
    engine,
    store,
    metrics,
    refreshGauges,
    /** Starts the consumer, the gauges and the job metrics; returns what stops them. */
    start: async () => {
      const consumer = await events.consume(Consumers.notificationOutcomes, handleOutcome, {
        concurrency: settings.concurrency,
        errorDelayMs: (n) => backoffDelay(n, unexpectedErrorBackoff),
      });
      const subscriptionConsumer = await events.consume(Consumers.notificationSubscriptionEvents, handleSubscriptionEvent, {
        concurrency: settings.concurrency,
        errorDelayMs: (n) => backoffDelay(n, unexpectedErrorBackoff),
      });
      const gauges = repeatEvery(refreshGauges, { intervalMs: settings.statsIntervalMs, logger, failure: "could not refresh the webhook gauges" });
      // Timers live in memory: after a restart (or for another replica that died) the working set is swept here too.
      const sweepAbort = new AbortController();
      const sweeps = repeatEvery(
        async () => {
          const report = await engine.sweep({ concurrency: settings.sweepConcurrency, signal: sweepAbort.signal });
          if (report.delivered + report.retrying + report.dead + report.repaired > 0) logger.info({ ...report }, "swept the undelivered webhooks");
        },
        { intervalMs: settings.sweepIntervalMs, firstDelayMs: Math.min(1_000, settings.sweepIntervalMs), logger, failure: "sweep of the undelivered webhooks failed" },
      );
      const jobMetrics = exportJobMetrics({ database: deps.database, registry: runtime.metrics.registry, jobs: [Jobs.webhookRetry.name], logger, intervalMs: settings.statsIntervalMs });
      return async () => {
        // The sweep is told to stop first, so its run ends soon; every periodic run is waited for
        // with the consumers, before shutdown closes the store they use.
        sweepAbort.abort();
        timers?.stop();
        await Promise.all([gauges.stop(), sweeps.stop(), jobMetrics.stop(), consumer.stop(), subscriptionConsumer.stop()]);
      };
    },
  };
}
