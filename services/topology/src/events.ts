import { eventType, type ConsumerDefinition, type StreamDefinition } from "@t2m/platform";
import {
  OrderFailedSchema,
  OrderFulfilledSchema,
  OrderRetryDueSchema,
  OrderSubmittedSchema,
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
} as const satisfies Record<string, ConsumerDefinition>;

/** NATS KV buckets. */
export const KvBuckets = {
  /** Zoho's call budget per organisation, shared by every provisioning replica. */
  zohoBudget: "zoho_budget",
  /** The gateway's request budgets per partner (a sliding minute), shared by every gateway replica. */
  gatewayRateLimits: "gateway_rate_limits",
} as const;
