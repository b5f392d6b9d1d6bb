import { eventType, type ConsumerDefinition, type StreamDefinition } from "@t2m/platform";
import {
  ExpiryReminderDueSchema,
  OrderFailedSchema,
  OrderFulfilledSchema,
  OrderRetryDueSchema,
  OrderSubmittedSchema,
  SubscriptionExpiredSchema,
  SubscriptionRenewedSchema,
  SubscriptionRevokedSchema,
} from "@t2m/proto/events/v1/events";

const DAY_MS = 24 * 60 * 60 * 1000;

/** The ORDERS stream holds every order event. It is also the audit trail, so events are kept a month. */
export const OrdersStream = {
  name: "ORDERS",
  subjects: ["orders.>"],
  maxAgeMs: 30 * DAY_MS,
  // Re-publishing an event with the same id within this window is dropped by the server.
  duplicateWindowMs: 2 * 60 * 1000,
} as const satisfies StreamDefinition;

/** Every event on the ORDERS stream. Subjects are declared here and nowhere else. */
export const OrderEvents = {
  /** An order was accepted and stored; fulfilment's worker picks it up. */
  submitted: eventType("orders.submitted", OrderSubmittedSchema),
  /** An order is due for another attempt (a retry after a transient failure, or a re-drive). */
  retryDue: eventType("orders.retry", OrderRetryDueSchema),
  fulfilled: eventType("orders.outcome.fulfilled", OrderFulfilledSchema),
  failed: eventType("orders.outcome.failed", OrderFailedSchema),
} as const;

/**
 * Deterministic Nats-Msg-Ids: publishing the same event twice (after a crash,
 * by two replicas, by the sweeper) within the duplicate window stores it once.
 */
export const OrderMessageIds = {
  submitted: (orderId: string) => `${OrderEvents.submitted.subject}:${orderId}`,
  retryDue: (orderId: string, attempt: number, cause: string) => `${OrderEvents.retryDue.subject}:${orderId}:${attempt}:${cause}`,
  fulfilled: (orderId: string) => `${OrderEvents.fulfilled.subject}:${orderId}`,
  failed: (orderId: string) => `${OrderEvents.failed.subject}:${orderId}`,
} as const;

/**
 * The SUBSCRIPTIONS stream: what happens to a subscription after its order
 * (renewal, revocation, expiry, expiry reminders). Provisioning, which owns
 * subscriptions, publishes; notification turns each into a webhook.
 */
export const SubscriptionsStream = {
  name: "SUBSCRIPTIONS",
  subjects: ["subscriptions.>"],
  maxAgeMs: 30 * DAY_MS,
  duplicateWindowMs: 2 * 60 * 1000,
} as const satisfies StreamDefinition;

/** Every event on the SUBSCRIPTIONS stream. */
export const SubscriptionEvents = {
  renewed: eventType("subscriptions.renewed", SubscriptionRenewedSchema),
  revoked: eventType("subscriptions.revoked", SubscriptionRevokedSchema),
  expired: eventType("subscriptions.expired", SubscriptionExpiredSchema),
  reminder: eventType("subscriptions.reminder", ExpiryReminderDueSchema),
} as const;

/**
 * Deterministic Nats-Msg-Ids for subscription events: a change is numbered
 * in the subscription's history (version), a reminder is one per period end
 * and threshold, so a repeat by a rerun or a second replica is one event.
 */
export const SubscriptionMessageIds = {
  renewed: (subscriptionId: string, version: number) => `${SubscriptionEvents.renewed.subject}:${subscriptionId}:${version}`,
  revoked: (subscriptionId: string, version: number) => `${SubscriptionEvents.revoked.subject}:${subscriptionId}:${version}`,
  expired: (subscriptionId: string, version: number) => `${SubscriptionEvents.expired.subject}:${subscriptionId}:${version}`,
  reminder: (subscriptionId: string, expiryDay: string, thresholdDays: number) =>
    `${SubscriptionEvents.reminder.subject}:${subscriptionId}:${expiryDay}:${thresholdDays}`,
} as const;

/**
 * Every durable consumer of the platform. One filter per consumer keeps them
 * valid on nats-server 2.9 (multi-filter needs 2.10). None has a delivery
 * limit: each flow's own retry policy decides when to give up, by age and
 * kind of failure, and no message waits in backoff inside JetStream.
 */
export const Consumers = {
  /** New orders, in acceptance order. */
  fulfilmentSubmitted: {
    stream: OrdersStream.name,
    durableName: "fulfilment-order-submitted",
    filterSubject: OrderEvents.submitted.subject,
  },
  /** Orders due for another attempt, beside new orders so a retry never waits behind a backlog. */
  fulfilmentRetries: {
    stream: OrdersStream.name,
    durableName: "fulfilment-order-retry",
    filterSubject: OrderEvents.retryDue.subject,
  },
  notificationOutcomes: {
    stream: OrdersStream.name,
    durableName: "notification-order-outcome",
    filterSubject: "orders.outcome.>",
  },
  /** Renewals, revocations, expiries and reminders, each turned into a webhook. */
  notificationSubscriptionEvents: {
    stream: SubscriptionsStream.name,
    durableName: "notification-subscription-events",
    filterSubject: "subscriptions.>",
  },
} as const satisfies Record<string, ConsumerDefinition>;

/** NATS KV buckets. */
export const KvBuckets = {
  /** Zoho's call budget per organisation, shared by every provisioning replica. */
  zohoBudget: "zoho_budget",
  /** The gateway's request budgets per partner (a sliding minute), shared by every gateway replica. */
  gatewayRateLimits: "gateway_rate_limits",
} as const;
