import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { ack, backoffDelay, decodeIf, invalidArgument, nak, term, type Database, type Disposition, type EventBus, type ReceivedMessage, type ServiceRuntime, unexpectedErrorBackoff } from "@t2m/platform";
import { Consumers, OrderEvents } from "@t2m/topology";
import { NotificationService } from "@t2m/proto/notification/v1/notification";
import { Counter, Histogram } from "prom-client";
import { deliverOutcome } from "./domain/deliver.js";
import type { OrderOutcome } from "./domain/webhook.js";
import { DeliveryStore } from "./adapters/delivery-store.js";
import { WebhookSender } from "./adapters/webhook-sender.js";

export interface NotificationDependencies {
  readonly runtime: ServiceRuntime;
  readonly database: Database;
  readonly events: EventBus;
  readonly sender: WebhookSender;
  readonly retryDelaysMs: readonly number[];
  readonly concurrency: number;
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
    };
  }
  return undefined;
}

export async function createNotification(deps: NotificationDependencies) {
  const { runtime, events } = deps;
  const logger = runtime.logger;
  const store = new DeliveryStore(deps.database);
  await store.ensureIndexes();

  const attempts = new Counter({
    name: "t2m_webhook_attempts_total",
    help: "Webhook delivery attempts, by event type and result (delivered, retry, gave-up)",
    labelNames: ["event_type", "result"],
    registers: [runtime.metrics.registry],
  });
  const attemptSeconds = new Histogram({
    name: "t2m_webhook_attempt_duration_seconds",
    help: "Time T2Mobile's endpoint took to answer a webhook attempt",
    labelNames: ["event_type"],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
    registers: [runtime.metrics.registry],
  });

  const handleOutcome = async (message: ReceivedMessage): Promise<Disposition> => {
    const outcome = outcomeOf(message);
    if (!outcome?.orderId) return term(`not an order outcome event: ${message.subject}`);
    const result = await deliverOutcome(outcome, deps.retryDelaysMs, {
      register: (m) => store.register(m),
      send: async (m, attemptNumber) => {
        const sent = await deps.sender.send(m, attemptNumber);
        attemptSeconds.observe({ event_type: m.eventType }, sent.durationMs / 1000);
        return sent;
      },
      record: (attempt, status) => store.record(attempt, status),
      now: () => new Date(),
    });
    const log = logger.child({ orderId: outcome.orderId, eventType: outcome.type, webhookId: result.webhookId });
    switch (result.kind) {
      case "delivered":
        attempts.inc({ event_type: outcome.type, result: "delivered" });
        log.info("webhook delivered");
        return ack();
      case "already-finished":
        return ack();
      case "retry":
        attempts.inc({ event_type: outcome.type, result: "retry" });
        log.warn({ retryInMs: result.delayMs }, "webhook attempt failed; will retry");
        return nak(result.delayMs);
      case "gave-up":
        attempts.inc({ event_type: outcome.type, result: "gave-up" });
        log.error("webhook not delivered; retries exhausted");
        return ack();
    }
  };

  const routes = (router: ConnectRouter) =>
    router.service(NotificationService, {
      listDeliveries: async (req) => {
        if (!req.orderId) throw invalidArgument([{ field: "order_id", description: "is required" }]);
        const records = await store.attemptsForOrder(req.orderId);
        return {
          attempts: records.map((a) => ({
            webhookId: a.webhookId,
            eventType: a.eventType,
            orderId: a.orderId,
            attemptNumber: a.attemptNumber,
            httpStatus: a.httpStatus,
            durationMs: BigInt(a.durationMs),
            error: a.error ?? "",
            succeeded: a.succeeded,
            attemptedAt: timestampFromDate(a.attemptedAt),
            nextRetryAt: a.nextRetryAt ? timestampFromDate(a.nextRetryAt) : undefined,
          })),
        };
      },
    });

  return {
    routes,
    startWorkers: async () => {
      const consumer = await events.consume(Consumers.notificationOutcomes, handleOutcome, {
        concurrency: deps.concurrency,
        errorDelayMs: (n) => backoffDelay(n, unexpectedErrorBackoff),
      });
      return () => consumer.stop();
    },
  };
}
