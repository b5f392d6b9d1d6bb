import type { NatsAccessNeeds } from "@t2m/platform";
import { Consumers, KvBuckets, OrderEvents, OrdersStream } from "./events.js";

/**
 * Each service's NATS user and what it may do on the bus (see
 * natsPermissions): the devstack's nats-server and production's NATS
 * accounts are generated from this (npm run nats:config), and each main.ts
 * declares the same streams and consumers. A test proves the limits hold.
 */
export const NatsUsers = {
  /** Reports NATS's health only. */
  gateway: { user: "gateway", streams: [], consumers: [], publishes: [], kvBuckets: [] },
  /** Intake and the worker: every order event, its two consumers. */
  fulfilment: {
    user: "fulfilment",
    streams: [OrdersStream],
    consumers: [Consumers.fulfilmentSubmitted, Consumers.fulfilmentRetries],
    publishes: [OrderEvents.submitted.subject, OrderEvents.retryDue.subject, OrderEvents.fulfilled.subject, OrderEvents.failed.subject],
    kvBuckets: [],
  },
  /** Zoho's shared call budget only. */
  provisioning: { user: "provisioning", streams: [], consumers: [], publishes: [], kvBuckets: [KvBuckets.zohoBudget] },
  /** Reads outcomes; publishes nothing (it cannot forge an order event). */
  notification: { user: "notification", streams: [OrdersStream], consumers: [Consumers.notificationOutcomes], publishes: [], kvBuckets: [] },
} as const satisfies Record<string, NatsAccessNeeds>;

export type NatsService = keyof typeof NatsUsers;
