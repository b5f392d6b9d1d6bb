import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type EventBus } from "@t2m/platform";
import { OrderEvents, OrderMessageIds } from "@t2m/topology";
import type { Logger } from "pino";
import type { OrderRecord } from "../domain/order.js";
import type { OrderStore } from "./order-store.js";

const ts = (d: Date | undefined) => (d ? timestampFromDate(d) : undefined);

/** Publishes order events and records on the order that they were published. */
export class OrderAnnouncer {
  constructor(
    private readonly events: EventBus,
    private readonly store: OrderStore,
    private readonly logger: Logger,
  ) {}

  /** Publishes OrderSubmitted. A failure is logged, not thrown: the order is stored and the relay will publish it. */
  async announceSubmitted(order: OrderRecord): Promise<void> {
    try {
      await this.events.publish(
        OrderEvents.submitted,
        { orderId: order.orderId, submittedAt: ts(order.createdAt) },
        { messageId: OrderMessageIds.submitted(order.orderId) },
      );
      await this.store.markSubmittedPublished(order.orderId, new Date());
    } catch (err) {
      this.logger.warn({ err, orderId: order.orderId }, "OrderSubmitted not published yet; the relay will retry");
    }
  }

  async announceOutcome(order: OrderRecord): Promise<void> {
    const common = {
      orderId: order.orderId,
      productId: order.productId,
      tenure: order.tenure,
      customerId: order.customer.customerId,
      zohoSalesOrderId: order.zohoSalesOrderId ?? "",
      activationReference: order.activationReference ?? "",
    };
    if (order.status === "FULFILLED") {
      await this.events.publish(
        OrderEvents.fulfilled,
        { ...common, expiryDate: ts(order.expiryDate), fulfilledAt: ts(order.fulfilledAt) },
        { messageId: OrderMessageIds.fulfilled(order.orderId) },
      );
    } else if (order.status === "FAILED") {
      await this.events.publish(
        OrderEvents.failed,
        { ...common, reason: order.failureReason ?? "", failedAt: ts(order.failedAt) },
        { messageId: OrderMessageIds.failed(order.orderId) },
      );
    } else {
      throw new Error(`order ${order.orderId} is ${order.status}; it has no outcome to announce`);
    }
    await this.store.markOutcomePublished(order.orderId, new Date());
  }
}
