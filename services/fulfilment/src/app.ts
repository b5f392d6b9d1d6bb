import type { Client, ConnectRouter } from "@connectrpc/connect";
import { ack, backoffDelay, Code, ConnectError, decodeIf, invalidArgument, nak, reasonedError, term, type Database, type Disposition, type EventBus, type ReceivedMessage, type ServiceRuntime, unexpectedErrorBackoff } from "@t2m/platform";
import { Consumers, OrderEvents } from "@t2m/topology";
import type { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import { FulfilmentService } from "@t2m/proto/fulfilment/v1/fulfilment";
import type { ProvisioningService } from "@t2m/proto/provisioning/v1/provisioning";
import { Counter, Histogram } from "prom-client";
import { acceptOrder } from "./domain/accept-order.js";
import { fulfilOrder, type FulfilOrderPorts } from "./domain/fulfil-order.js";
import { OrderRejected, type RejectionReason } from "./domain/order.js";
import { OrderAnnouncer } from "./adapters/announcer.js";
import { classifyStepError, createSalesOrder, findOffer, provisionLicence } from "./adapters/downstream.js";
import { OrderStore } from "./adapters/order-store.js";
import { toOrderMessage } from "./adapters/order-view.js";
import { OutboxRelay } from "./adapters/relay.js";

export interface FulfilmentDependencies {
  readonly runtime: ServiceRuntime;
  readonly database: Database;
  readonly events: EventBus;
  readonly catalogue: Client<typeof CatalogueService>;
  readonly provisioning: Client<typeof ProvisioningService>;
  readonly concurrency: number;
  readonly relayIntervalMs: number;
}

const REJECTION_CODES: Record<RejectionReason, Code> = {
  INVALID_ORDER: Code.InvalidArgument,
  PRODUCT_NOT_FOUND: Code.FailedPrecondition,
  TENURE_NOT_OFFERED: Code.FailedPrecondition,
  IDEMPOTENCY_KEY_REUSED: Code.FailedPrecondition,
  ORDER_ID_TAKEN: Code.AlreadyExists,
};

function toConnectError(err: OrderRejected): ConnectError {
  if (err.reason === "INVALID_ORDER") return invalidArgument(err.violations, err.message);
  return reasonedError(REJECTION_CODES[err.reason], err.reason, err.message);
}

/** Wires the store, the events and the downstream clients into the RPC routes and the order worker. */
export async function createFulfilment(deps: FulfilmentDependencies) {
  const { runtime, events, database } = deps;
  const logger = runtime.logger;
  const store = new OrderStore(database);
  await store.ensureIndexes();
  const announcer = new OrderAnnouncer(events, store, logger);

  const ordersAccepted = new Counter({
    name: "t2m_orders_accepted_total",
    help: "Orders submitted, by result (accepted, duplicate, or the rejection reason)",
    labelNames: ["result"],
    registers: [runtime.metrics.registry],
  });
  const ordersFinished = new Counter({
    name: "t2m_orders_finished_total",
    help: "Orders that reached a final status, by status and product",
    labelNames: ["status", "product"],
    registers: [runtime.metrics.registry],
  });
  const fulfilmentSeconds = new Histogram({
    name: "t2m_order_fulfilment_seconds",
    help: "Time from an order's acceptance to its final status",
    labelNames: ["status"],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [runtime.metrics.registry],
  });
  const stepRetries = new Counter({
    name: "t2m_order_step_retries_total",
    help: "Order attempts that ended in a transient failure and will be retried",
    registers: [runtime.metrics.registry],
  });

  const routes = (router: ConnectRouter) =>
    router.service(FulfilmentService, {
      submitOrder: async (req) => {
        try {
          const { order, duplicate } = await acceptOrder(
            {
              idempotencyKey: req.idempotencyKey,
              orderId: req.orderId,
              productId: req.productId,
              tenure: req.tenure,
              customer: {
                customerId: req.customer?.customerId ?? "",
                name: req.customer?.name ?? "",
                email: req.customer?.email ?? "",
                phone: req.customer?.phone ?? "",
              },
            },
            {
              findOffer: (productId, tenure) => findOffer(deps.catalogue, productId, tenure),
              findByIdempotencyKey: (key) => store.findByIdempotencyKey(key),
              insert: (order) => store.insert(order),
              announce: (order) => announcer.announceSubmitted(order),
              now: () => new Date(),
            },
          );
          ordersAccepted.inc({ result: duplicate ? "duplicate" : "accepted" });
          if (!duplicate) logger.info({ orderId: order.orderId, productId: order.productId, tenure: order.tenure }, "order accepted");
          return { order: toOrderMessage(order), isDuplicate: duplicate };
        } catch (err) {
          if (err instanceof OrderRejected) {
            ordersAccepted.inc({ result: err.reason });
            throw toConnectError(err);
          }
          throw err;
        }
      },
      getOrder: async (req) => {
        const order = req.orderId ? await store.findByOrderId(req.orderId) : undefined;
        if (!order) throw reasonedError(Code.NotFound, "ORDER_NOT_FOUND", `no order with id "${req.orderId}"`);
        return { order: toOrderMessage(order) };
      },
    });

  const fulfilPorts: FulfilOrderPorts = {
    load: (id) => store.findByOrderId(id),
    markProcessing: (id, at) => store.markProcessing(id, at),
    recordSalesOrder: (id, r, at) => store.recordSalesOrder(id, r, at),
    recordLicence: (id, r, at) => store.recordLicence(id, r, at),
    markFulfilled: (id, at) => store.markFulfilled(id, at),
    markFailed: (id, reason, at) => store.markFailed(id, reason, at),
    createSalesOrder: (order) => createSalesOrder(deps.provisioning, order),
    provisionLicence: (order) => provisionLicence(deps.provisioning, order),
    announceOutcome: (order) => announcer.announceOutcome(order),
    classify: classifyStepError,
    now: () => new Date(),
  };

  const handleSubmitted = async (message: ReceivedMessage): Promise<Disposition> => {
    const event = decodeIf(OrderEvents.submitted, message);
    if (!event?.orderId) return term(`not an OrderSubmitted event: ${message.subject}`);
    const log = logger.child({ orderId: event.orderId, delivery: message.deliveryCount });
    const result = await fulfilOrder(event.orderId, { deliveryCount: message.deliveryCount, lastDelivery: message.deliveryCount >= 20 }, fulfilPorts);
    switch (result.kind) {
      case "completed": {
        const { order } = result;
        ordersFinished.inc({ status: order.status, product: order.productId });
        fulfilmentSeconds.observe({ status: order.status }, (Date.now() - order.createdAt.getTime()) / 1000);
        if (order.status === "FULFILLED") log.info({ zohoSalesOrderId: order.zohoSalesOrderId }, "order fulfilled");
        else log.warn({ reason: order.failureReason }, "order failed");
        return ack();
      }
      case "retry":
        stepRetries.inc();
        log.warn({ error: result.error, retryInMs: result.delayMs }, "order step failed; will retry");
        return nak(result.delayMs);
      case "unknown-order":
        // The event is published only after the order is stored, so this is not a race; keep it visible.
        log.error("event for an order that does not exist");
        return term("unknown order");
    }
  };

  const relay = new OutboxRelay(store, announcer, logger, {
    intervalMs: deps.relayIntervalMs,
    graceMs: 2_000,
    batchSize: 100,
  });

  return {
    routes,
    /** Starts the order worker and the outbox relay; returns what stops them. */
    startWorkers: async () => {
      const consumer = await events.consume(Consumers.fulfilmentSubmitted, handleSubmitted, {
        concurrency: deps.concurrency,
        errorDelayMs: (n) => backoffDelay(n, unexpectedErrorBackoff),
      });
      relay.start();
      return async () => {
        await relay.stop();
        await consumer.stop();
      };
    },
  };
}
