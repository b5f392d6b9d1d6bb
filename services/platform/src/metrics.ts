import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type { Registry } from "prom-client";

/** A Prometheus registry with process metrics and the platform's own. */
export interface Metrics {
  readonly registry: Registry;
  /** Connect RPCs handled by this process. `rpc_service` is the Protobuf service; `service` stays the process. */
  readonly rpcServerDuration: Histogram<"rpc_service" | "method" | "code">;
  /** Connect RPCs this process made to other services. */
  readonly rpcClientDuration: Histogram<"rpc_service" | "method" | "code">;
  /** JetStream messages handled, by consumer and outcome (ack, nak, term). */
  readonly eventsConsumed: Counter<"consumer" | "outcome">;
  /** JetStream messages published, by subject and whether the server deduplicated them. */
  readonly eventsPublished: Counter<"subject" | "duplicate">;
  /** Messages of a durable consumer not yet delivered to any process (its lag), sampled by the processes that consume it. */
  readonly consumerPending: Gauge<"consumer">;
  /** Delivered and not yet acknowledged. */
  readonly consumerAckPending: Gauge<"consumer">;
  /** How long the oldest message not yet delivered has waited (0 when none waits). */
  readonly consumerOldestPendingAge: Gauge<"consumer">;
}

/**
 * `processMetrics: false` leaves out Node's process metrics, whose collectors
 * (GC and event-loop observers) live as long as the process: for short-lived
 * registries inside a serving process, such as a job run on request.
 */
export function createMetrics(service: string, options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  return {
    registry,
    rpcServerDuration: new Histogram({
      name: "t2m_rpc_server_duration_seconds",
      help: "Connect RPCs handled, by method and result code",
      labelNames: ["rpc_service", "method", "code"],
      buckets,
      registers: [registry],
    }),
    rpcClientDuration: new Histogram({
      name: "t2m_rpc_client_duration_seconds",
      help: "Connect RPCs made to other services, by method and result code",
      labelNames: ["rpc_service", "method", "code"],
      buckets,
      registers: [registry],
    }),
    eventsConsumed: new Counter({
      name: "t2m_events_consumed_total",
      help: "JetStream messages handled, by consumer and outcome",
      labelNames: ["consumer", "outcome"],
      registers: [registry],
    }),
    consumerPending: new Gauge({
      name: "t2m_consumer_pending_messages",
      help: "JetStream messages of a durable consumer not yet delivered to any process (its lag)",
      labelNames: ["consumer"],
      registers: [registry],
    }),
    consumerAckPending: new Gauge({
      name: "t2m_consumer_ack_pending_messages",
      help: "JetStream messages of a durable consumer delivered and not yet acknowledged",
      labelNames: ["consumer"],
      registers: [registry],
    }),
    consumerOldestPendingAge: new Gauge({
      name: "t2m_consumer_oldest_pending_age_seconds",
      help: "How long the oldest message a durable consumer has not yet delivered has waited in the stream (0 when none waits)",
      labelNames: ["consumer"],
      registers: [registry],
    }),
    eventsPublished: new Counter({
      name: "t2m_events_published_total",
      help: "JetStream messages published, by subject and whether the stream dropped them as duplicates",
      labelNames: ["subject", "duplicate"],
      registers: [registry],
    }),
  };
}
