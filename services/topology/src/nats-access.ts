import type { NatsAccessNeeds } from "@t2m/platform";
import { Consumers, KvBuckets, OrderEvents, OrdersStream, SubscriptionEvents, SubscriptionsStream } from "./events.js";

/**
 * Each service's NATS user and what it may do on the bus (see
 * natsPermissions): the devstack's nats-server and production's NATS
 * accounts are generated from this (npm run nats:config), and each main.ts
 * declares the same streams and consumers. A test proves the limits hold.
 */
export const NatsUsers = {
  /** The partners' request budgets (a KV bucket); no streams. */
  gateway: { user: "gateway", streams: [], consumers: [], publishes: [], kvBuckets: [KvBuckets.gatewayRateLimits] },
  /** Intake and the worker: every order event, its two consumers. */
  fulfilment: {
    user: "fulfilment",
    streams: [OrdersStream],
    consumers: [Consumers.fulfilmentSubmitted, Consumers.fulfilmentRetries],
    publishes: [OrderEvents.submitted.subject, OrderEvents.retryDue.subject, OrderEvents.fulfilled.subject, OrderEvents.failed.subject],
    kvBuckets: [],
  },
  /** Zoho's shared call budget, and the subscription events it (and its jobs) publish. */
  provisioning: {
    user: "provisioning",
    streams: [SubscriptionsStream],
    consumers: [],
    publishes: Object.values(SubscriptionEvents).map((e) => e.subject),
    kvBuckets: [KvBuckets.zohoBudget],
  },
  /** Reads outcomes and subscription events; publishes nothing (it cannot forge an event). */
  notification: {
    user: "notification",
    streams: [OrdersStream, SubscriptionsStream],
    consumers: [Consumers.notificationOutcomes, Consumers.notificationSubscriptionEvents],
    publishes: [],
    kvBuckets: [],
  },
} as const satisfies Record<string, NatsAccessNeeds>;

export type NatsService = keyof typeof NatsUsers;
