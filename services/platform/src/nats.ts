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
import { connect, headers as natsHeaders, nanos, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { decodeEvent, encodeEvent, eventMessageId, type EventType } from "./events.js";
import type { ReadinessCheck } from "./http-server.js";
import type { Metrics } from "./metrics.js";

const tracer = trace.getTracer("@t2m/platform/nats");

/** The ORDERS stream holds every order event; its subjects come from OrderEvents. */
export const ORDERS_STREAM: Partial<StreamConfig> & { name: string; subjects: string[] } = {
  name: "ORDERS",
  subjects: ["orders.>"],
  retention: RetentionPolicy.Limits,
  storage: StorageType.File,
  // Events are also the audit trail; keep them a month.
  max_age: nanos(30 * 24 * 60 * 60 * 1000),
  // Re-publishing the same event id within this window is dropped by the server.
  duplicate_window: nanos(2 * 60 * 1000),
};

export interface ConsumerDefinition {
  readonly stream: string;
  readonly durableName: string;
  readonly filterSubject: string;
  /** Deliveries after which the handler is told this is the last try. */
  readonly maxDeliver: number;
}

/**
 * Every durable consumer of the platform, declared in one place. One filter
 * per consumer keeps them valid on nats-server 2.9 (multi-filter needs 2.10).
 */
export const Consumers = {
  fulfilmentOrders: {
    stream: ORDERS_STREAM.name,
    durableName: "fulfilment-order-submitted",
    filterSubject: "orders.submitted",
    maxDeliver: 20,
  },
  notificationOutcomes: {
    stream: ORDERS_STREAM.name,
    durableName: "notification-order-outcome",
    filterSubject: "orders.outcome.>",
    // Webhook retries are redeliveries with a delay; the schedule decides when to stop.
    maxDeliver: 100,
  },
} as const satisfies Record<string, ConsumerDefinition>;

/** What a handler decided about a message. */
export type Disposition =
  | { readonly action: "ack" }
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
  /** True when no further delivery will follow a nak. */
  readonly lastDelivery: boolean;
  readonly definition: ConsumerDefinition;
}

export type MessageHandler = (message: ReceivedMessage) => Promise<Disposition>;

export interface ConsumeOptions {
  /** Messages handled at once by this process. */
  readonly concurrency?: number;
  /** Delay before redelivery when the handler throws. */
  readonly errorDelayMs?: (deliveryCount: number) => number;
}

export interface RunningConsumer {
  /** Stops taking messages and waits for the ones being handled. */
  stop(): Promise<void>;
}

export interface NatsOptions {
  readonly url: string;
  readonly name: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** How long the server waits for an ack before redelivering. */
  readonly ackWaitMs: number;
}

/** Exponential backoff for handler errors: 1 s, 2 s, 4 s … capped at 60 s. */
export const defaultErrorDelay = (deliveryCount: number): number => Math.min(60_000, 1_000 * 2 ** (deliveryCount - 1));

/**
 * The platform's NATS JetStream client: declares the topology, publishes
 * events with deterministic ids and trace context, and runs consume loops.
 */
export class EventBus {
  private readonly consumers = new Set<RunningConsumer>();

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

  /** Creates or updates the stream and the consumers this process uses. Safe to repeat. */
  async declare(consumers: readonly ConsumerDefinition[]): Promise<void> {
    await this.ensureStream(ORDERS_STREAM);
    for (const definition of consumers) await this.ensureConsumer(definition);
  }

  private async ensureStream(config: typeof ORDERS_STREAM): Promise<void> {
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
      max_deliver: definition.maxDeliver,
      max_ack_pending: 1_000,
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
   * Publishes an event with Nats-Msg-Id `<subject>:<aggregateId>` and the
   * current trace context. Resolves once the stream has stored it (or has
   * recognised it as a duplicate).
   */
  async publish<Desc extends DescMessage>(
    type: EventType<Desc>,
    aggregateId: string,
    init: MessageInitShape<Desc>,
  ): Promise<{ duplicate: boolean }> {
    const messageId = eventMessageId(type, aggregateId);
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
          return { duplicate: ackResult.duplicate };
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

  /** Runs a consume loop on a durable consumer until stop() is called. */
  async consume(
    definition: ConsumerDefinition,
    handler: MessageHandler,
    options: ConsumeOptions = {},
  ): Promise<RunningConsumer> {
    const { logger, metrics, ackWaitMs } = this.options;
    const concurrency = options.concurrency ?? 4;
    const errorDelay = options.errorDelayMs ?? defaultErrorDelay;
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
          // Keep the ack deadline moving while the handler works, so a slow
          // step is not redelivered to another process mid-way.
          const keepAlive = setInterval(() => m.working(), Math.max(500, Math.floor(ackWaitMs / 2)));
          let disposition: Disposition;
          try {
            disposition = await handler({
              subject: m.subject,
              data: m.data,
              messageId,
              deliveryCount: m.info.deliveryCount,
              lastDelivery: m.info.deliveryCount >= definition.maxDeliver,
              definition,
            });
          } catch (err) {
            const delayMs = errorDelay(m.info.deliveryCount);
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

    const loop = async () => {
      while (!stopped) {
        try {
          const consumer = await this.js.consumers.get(definition.stream, definition.durableName);
          const messages = await consumer.consume({ max_messages: concurrency * 2 });
          current = messages;
          if (stopped) await messages.close();
          for await (const m of messages) {
            const task = handle(m).finally(() => inFlight.delete(task));
            inFlight.add(task);
            if (inFlight.size >= concurrency) await Promise.race(inFlight);
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
