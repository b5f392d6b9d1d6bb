import type { Registry } from "@t2m/platform";
import { Counter, Gauge, Histogram } from "prom-client";

/** Notification's own metrics (the platform adds RPC, event, job and process metrics). */
export function createNotificationMetrics(registry: Registry) {
  const registers = [registry];
  return {
    registered: new Counter({
      name: "t2m_webhook_messages_registered_total",
      help: "Webhook messages registered (one per event and order), by event type",
      labelNames: ["event_type"],
      registers,
    }),
    attempts: new Counter({
      name: "t2m_webhook_attempts_total",
      help: "Webhook delivery attempts by event type and result: delivered, retry (failed, another attempt scheduled), dead (failed, no more attempts), not-sent (the endpoint was disabled), abandoned (its holder stopped before recording it)",
      labelNames: ["event_type", "result"],
      registers,
    }),
    attemptSeconds: new Histogram({
      name: "t2m_webhook_attempt_duration_seconds",
      help: "Time T2Mobile's endpoint took to answer a webhook attempt",
      labelNames: ["event_type"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
      registers,
    }),
    replays: new Counter({
      name: "t2m_webhook_replays_total",
      help: "Dead webhook messages replayed (a new attempt chain with the same webhook id)",
      labelNames: ["event_type"],
      registers,
    }),
    rejectedEvents: new Counter({
      name: "t2m_webhook_events_rejected_total",
      help: "Outcome events the forgery guard refused to sign because the stored order disagrees (unknown-order, status-mismatch, id-mismatch)",
      labelNames: ["event_type", "reason"],
      registers,
    }),
    deadMessages: new Gauge({
      name: "t2m_webhook_dead_messages",
      help: "Webhook messages that are dead and not replayed (as of the last count)",
      registers,
    }),
    undeliveredMessages: new Gauge({
      name: "t2m_webhook_undelivered_messages",
      help: "Webhook messages not yet delivered, by status (PENDING, DELIVERING, RETRYING, DEAD)",
      labelNames: ["status"],
      registers,
    }),
    oldestUndeliveredAge: new Gauge({
      name: "t2m_webhook_oldest_undelivered_age_seconds",
      help: "Age of the oldest webhook message neither delivered nor dead (0 when none)",
      registers,
    }),
    endpointDisabled: new Gauge({
      name: "t2m_webhook_endpoint_disabled",
      help: "1 while the webhook endpoint is disabled (410 Gone or sustained failure): nothing is sent to it",
      labelNames: ["endpoint"],
      registers,
    }),
  };
}

export type NotificationMetrics = ReturnType<typeof createNotificationMetrics>;
