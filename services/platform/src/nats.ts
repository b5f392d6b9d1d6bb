import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamConfig,
} from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { connect, headers as natsHeaders, nanos, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { encodeEvent, type EventType } from "./events.js";
import type { ReadinessCheck } from "./http-server.js";
import type { Metrics } from "./metrics.js";
import { natsInboxPrefix } from "./nats-access.js";

const tracer = trace.getTracer("@t2m/platform/nats");

/** A JetStream stream (file storage, limits retention). */
export interface StreamDefinition {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly maxAgeMs: number;
  /** Re-publishing a message id within this window is dropped by the server. */
  readonly duplicateWindowMs: number;
}

/** A durable pull consumer with explicit acks and one filter subject (valid on nats-server 2.9). */
export interface ConsumerDefinition {
  readonly stream: string;
  readonly durableName: string;
  readonly filterSubject: string;
  /**
   * Messages delivered and not yet acked, across every process of the
   * consumer. Handlers only ever hold what they work on (backoff lives
   * outside JetStream), so this bounds concurrency, not backlog. Default 1000.
   */
  readonly maxAckPending?: number;
}

/** What a handler decided about a message. */
export type Disposition =
  | { readonly action: "ack" }
  /** Redeliver after a short delay. Not for backoff: a nak'd message holds an ack slot until redelivered. */
  | { readonly action: "nak"; readonly delayMs: number }
  | { readonly action: "term"; readonly reason: string };

export const ack = (): Disposition => ({ action: "ack" });
export const nak = (delayMs: number): Disposition => ({ action: "nak", delayMs });
export const term = (reason: string): Disposition => ({ action: "term", reason });

export interface ReceivedMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly messageId: string | undefined;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  /** When the stream stored the message. */
  readonly publishedAt: Date;
  readonly streamSequence: number;
  readonly definition: ConsumerDefinition;
}

export type MessageHandler = (message: ReceivedMessage) => Promise<Disposition>;

export interface ConsumeOptions {
  /** Messages handled at once by this process; only this many are ever fetched. */
  readonly concurrency: number;
  /** Delay before redelivery when the handler throws (an unexpected error, not a decision). */
  readonly errorDelayMs: (deliveryCount: number) => number;
}

export interface RunningConsumer {
  /** Stops taking messages and waits for the ones being handled. */
  stop(): Promise<void>;
}

/** How far a consumer is behind, e.g. to tell a queued order from a stuck one. */
export interface ConsumerState {
  /** Messages not yet delivered to any process. */
  readonly pending: number;
  /** Delivered and not yet acked. */
  readonly ackPending: number;
  /** When the oldest message not yet delivered was stored; undefined when none waits. */
  readonly oldestUndeliveredAt: Date | undefined;
}

export interface NatsOptions {
  readonly url: string;
  readonly name: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** How long the server waits for an ack (or a heartbeat) before redelivering. */
  readonly ackWaitMs: number;
  /** The service's own NATS user; its replies then arrive on its own inbox prefix (see natsPermissions). */
  readonly credentials?: NatsCredentials;
}

/** A NATS user and password (from the Secret in a cluster, sandbox values locally). */
export interface NatsCredentials {
  readonly user: string;
  readonly password: string;
}

export interface PublishOptions {
  /** The Nats-Msg-Id: a deterministic id makes a repeat within the stream's duplicate window a no-op. */
  readonly messageId: string;
}

/**
 * The platform's NATS JetStream client: declares streams and consumers it is
 * given, publishes events with deterministic ids and trace context, runs
 * consume loops that fetch only what they can work on, and opens KV buckets.
 */
export class EventBus {
  private readonly consumers = new Set<RunningConsumer>();
  /** Consumers this process consumes, whose lag it samples (consumer lag gauges). */
  private readonly sampled = new Map<string, ConsumerDefinition>();
  private lagTimer: NodeJS.Timeout | undefined;
  private kvm: Kvm | undefined;

  private constructor(
    readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: NatsOptions,
  ) {}

  static async connect(options: NatsOptions): Promise<EventBus> {
    const connection = await connect({
      servers: options.url,
      name: options.name,
      ...(options.credentials
        ? { user: options.credentials.user, pass: options.credentials.password, inboxPrefix: natsInboxPrefix(options.credentials.user) }
        : {}),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
    });
    options.logger.info({ server: connection.getServer() }, "connected to NATS");
    void (async () => {
      for await (const status of connection.status()) {
        options.logger.info({ status: status.type }, "NATS connection status");
      }
    })();
    const jsm = await jetstreamManager(connection);
    return new EventBus(connection, jetstream(connection), jsm, options);
  }

  /** Creates or updates the streams and consumers this process uses. Safe to repeat. */
  async declare(topology: { streams: readonly StreamDefinition[]; consumers: readonly ConsumerDefinition[] }): Promise<void> {
    for (const stream of topology.streams) await this.ensureStream(stream);
    for (const definition of topology.consumers) await this.ensureConsumer(definition);
  }

  private async ensureStream(definition: StreamDefinition): Promise<void> {
    const config: Partial<StreamConfig> & { name: string; subjects: string[] } = {
      name: definition.name,
      subjects: [...definition.subjects],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(definition.maxAgeMs),
      duplicate_window: nanos(definition.duplicateWindowMs),
      // Direct gets answer "the next message on a subject" (consumerState).
      allow_direct: true,
    };
    try {
      await this.jsm.streams.info(config.name);
      await this.jsm.streams.update(config.name, config);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.jsm.streams.add(config);
    }
  }

  private async ensureConsumer(definition: ConsumerDefinition): Promise<void> {
    const config: Partial<ConsumerConfig> = {
      durable_name: definition.durableName,
      filter_subject: definition.filterSubject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.options.ackWaitMs),
      // No delivery limit: each flow's retry policy decides when to give up.
      max_deliver: -1,
      max_ack_pending: definition.maxAckPending ?? 1_000,
    };
    try {
      await this.jsm.consumers.info(definition.stream, definition.durableName);
      await this.jsm.consumers.update(definition.stream, definition.durableName, config);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.jsm.consumers.add(definition.stream, config);
    }
  }

  /**
   * Publishes an event with the given Nats-Msg-Id and the current trace
   * context. Resolves once the stream has stored it (or has recognised it as
   * a duplicate).
   */
  async publish<Desc extends DescMessage>(
    type: EventType<Desc>,
    init: MessageInitShape<Desc>,
    options: PublishOptions,
  ): Promise<{ duplicate: boolean; sequence: number }> {
    const { messageId } = options;
    return tracer.startActiveSpan(
      `${type.subject} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          "messaging.system": "nats",
          "messaging.operation.type": "publish",
          "messaging.destination.name": type.subject,
          "messaging.message.id": messageId,
        },
      },
      async (span) => {
        try {
          const h = natsHeaders();
          propagation.inject(context.active(), h, { set: (carrier, key, value) => carrier.set(key, value) });
          h.set("Content-Type", "application/protobuf");
          h.set("T2m-Event-Type", type.schema.typeName);
          const ackResult = await this.js.publish(type.subject, encodeEvent(type, create(type.schema, init)), {
            msgID: messageId,
            headers: h,
          });
          this.options.metrics.eventsPublished.inc({ subject: type.subject, duplicate: String(ackResult.duplicate) });
          return { duplicate: ackResult.duplicate, sequence: ackResult.seq };
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw err;
        } finally {
          span.end();
        }
      },
    );
  }

  /**
   * Runs a consume loop on a durable consumer until stop() is called. It
   * fetches only as many messages as it has free handlers, so nothing waits
   * unheard in a client buffer, and every message held is kept alive with
   * heartbeats (working()) until its handler decides.
   */
  async consume(definition: ConsumerDefinition, handler: MessageHandler, options: ConsumeOptions): Promise<RunningConsumer> {
    const { logger, metrics, ackWaitMs } = this.options;
    const { concurrency, errorDelayMs } = options;
    const log = logger.child({ consumer: definition.durableName });
    const inFlight = new Set<Promise<void>>();
    let stopped = false;
    let current: { close(): Promise<void | Error> } | undefined;

    const handle = async (m: JsMsg): Promise<void> => {
      const parent = propagation.extract(ROOT_CONTEXT, m.headers, {
        get: (carrier: MsgHdrs | undefined, key) => carrier?.get(key) || undefined,
        keys: (carrier: MsgHdrs | undefined) => (carrier ? carrier.keys() : []),
      });
      const messageId = m.headers?.get("Nats-Msg-Id") || undefined;
      await tracer.startActiveSpan(
        `${m.subject} process`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            "messaging.system": "nats",
            "messaging.operation.type": "process",
            "messaging.destination.name": m.subject,
            "messaging.consumer.group.name": definition.durableName,
            "messaging.message.id": messageId ?? "",
            "messaging.nats.delivery_count": m.info.deliveryCount,
          },
        },
        parent,
        async (span) => {
          // Keep the ack deadline moving while the handler works (or waits
          // for a shared budget), so it is not redelivered to another process.
          const keepAlive = setInterval(() => m.working(), Math.max(500, Math.floor(ackWaitMs / 3)));
          let disposition: Disposition;
          try {
            disposition = await handler({
              subject: m.subject,
              data: m.data,
              messageId,
              deliveryCount: m.info.deliveryCount,
              publishedAt: new Date(Math.floor(m.info.timestampNanos / 1_000_000)),
              streamSequence: m.info.streamSequence,
              definition,
            });
          } catch (err) {
            const delayMs = errorDelayMs(m.info.deliveryCount);
            log.error({ err, subject: m.subject, messageId, deliveryCount: m.info.deliveryCount, delayMs }, "handler failed; will redeliver");
            span.recordException(err as Error);
            span.setStatus({ code: SpanStatusCode.ERROR });
            disposition = nak(delayMs);
          } finally {
            clearInterval(keepAlive);
          }
          switch (disposition.action) {
            case "ack":
              // Wait for the server to confirm, so a confirmed message is never redelivered.
              await m.ackAck().catch((err: unknown) => log.warn({ err, messageId }, "ack not confirmed"));
              break;
            case "nak":
              m.nak(disposition.delayMs);
              break;
            case "term":
              log.warn({ subject: m.subject, messageId, reason: disposition.reason }, "message terminated");
              m.term(disposition.reason);
              break;
          }
          metrics.eventsConsumed.inc({ consumer: definition.durableName, outcome: disposition.action });
          span.setAttribute("messaging.nats.disposition", disposition.action);
          span.end();
        },
      );
    };

    const start = (m: JsMsg) => {
      const task = handle(m).finally(() => inFlight.delete(task));
      inFlight.add(task);
    };

    const loop = async () => {
      while (!stopped) {
        try {
          const consumer = await this.js.consumers.get(definition.stream, definition.durableName);
          while (!stopped) {
            if (inFlight.size >= concurrency) {
              await Promise.race(inFlight);
              continue;
            }
            const batch = await consumer.fetch({ max_messages: concurrency - inFlight.size, expires: 5_000 });
            current = batch;
            if (stopped) await batch.close();
            for await (const m of batch) start(m);
          }
        } catch (err) {
          if (stopped) break;
          log.error({ err }, "consume loop failed; restarting in 1 s");
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
    };

    const running = loop();
    log.info({ filter: definition.filterSubject, concurrency }, "consuming");
    // Each outcome exists at 0 from the start, so increase() sees the first ack, nak or term.
    for (const outcome of ["ack", "nak", "term"] as const) metrics.eventsConsumed.inc({ consumer: definition.durableName, outcome }, 0);
    this.sampleLag(definition);
    const consumerHandle: RunningConsumer = {
      stop: async () => {
        stopped = true;
        await current?.close();
        await running;
        await Promise.allSettled(inFlight);
        this.consumers.delete(consumerHandle);
      },
    };
    this.consumers.add(consumerHandle);
    return consumerHandle;
  }

  /** Keeps the consumer lag gauges of this consumer fresh (every 15 s, and once at once). */
  private sampleLag(definition: ConsumerDefinition): void {
    this.sampled.set(definition.durableName, definition);
    const sample = async () => {
      const now = Date.now();
      for (const d of this.sampled.values()) {
        try {
          const state = await this.consumerState(d);
          const labels = { consumer: d.durableName };
          this.options.metrics.consumerPending.set(labels, state.pending);
          this.options.metrics.consumerAckPending.set(labels, state.ackPending);
          this.options.metrics.consumerOldestPendingAge.set(labels, state.oldestUndeliveredAt ? Math.max(0, (now - state.oldestUndeliveredAt.getTime()) / 1000) : 0);
        } catch {
          // NATS unreachable: the gauges keep their last values; readiness reports the outage.
        }
      }
    };
    void sample();
    this.lagTimer ??= setInterval(() => void sample(), 15_000);
    this.lagTimer.unref();
  }

  /** How far behind a consumer is. */
  async consumerState(definition: ConsumerDefinition): Promise<ConsumerState> {
    const info = await this.jsm.consumers.info(definition.stream, definition.durableName);
    let oldestUndeliveredAt: Date | undefined;
    if (info.num_pending > 0) {
      try {
        const next = await this.jsm.direct.getMessage(definition.stream, {
          seq: info.delivered.stream_seq + 1,
          next_by_subj: definition.filterSubject,
        });
        oldestUndeliveredAt = next ? next.time : undefined;
      } catch (err) {
        if (!isNotFound(err) && !(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.NoMessageFound)) throw err;
      }
    }
    return { pending: info.num_pending, ackPending: info.num_ack_pending, oldestUndeliveredAt };
  }

  /** Opens (creating if needed) a KV bucket. */
  async kv(bucket: string, options: { historyPerKey?: number; maxAgeMs?: number } = {}): Promise<KV> {
    this.kvm ??= new Kvm(this.js);
    return this.kvm.create(bucket, {
      history: options.historyPerKey ?? 1,
      ...(options.maxAgeMs ? { ttl: options.maxAgeMs } : {}),
    });
  }

  readiness(): ReadinessCheck {
    return {
      name: "nats",
      check: async () => {
        if (this.connection.isClosed()) throw new Error("connection closed");
        await this.connection.flush();
        await this.jsm.getAccountInfo();
      },
    };
  }

  /** Stops every consume loop, then drains the connection. */
  async close(): Promise<void> {
    clearInterval(this.lagTimer);
    await Promise.all([...this.consumers].map((c) => c.stop()));
    if (!this.connection.isClosed()) await this.connection.drain();
  }
}

function isNotFound(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamNotFound || err.code === JetStreamApiCodes.ConsumerNotFound)
  );
}

export type { KV };
