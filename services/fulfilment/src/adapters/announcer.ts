import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { EventBus } from "@t2m/platform";
import { OrderEvents, OrderMessageIds } from "@t2m/topology";
import { failureMessage } from "../domain/failures.js";
import type { OrderRecord } from "../domain/order.js";
import { toAcceptedOrder } from "./accepted-order.js";

const ts = (d: Date | undefined) => (d ? timestampFromDate(d) : undefined);

/**
 * Publishes order events with deterministic message ids. Nothing is written
 * back to the order: whether OrderSubmitted reached the stream is derived
 * (the sweeper republishes young PENDING orders, and the stream's duplicate
 * window drops what is already there), so intake stays insert-only.
 */
export class OrderAnnouncer {
  constructor(private readonly events: EventBus) {}

  async announceSubmitted(order: OrderRecord): Promise<void> {
    await this.events.publish(
      OrderEvents.submitted,
      { orderId: order.orderId, submittedAt: ts(order.createdAt), order: toAcceptedOrder(order) },
      { messageId: OrderMessageIds.submitted(order.orderId) },
    );
  }

  async announceOutcome(order: OrderRecord): Promise<void> {
    const common = {
      orderId: order.orderId,
      productId: order.productId,
      tenure: order.tenure,
      customerId: order.customer.customerId,
      zohoSalesOrderId: order.zohoSalesOrderId ?? "",
      activationReference: order.activationReference ?? "",
      renewsSubscriptionId: order.renews?.subscriptionId ?? "",
    };
    if (order.status === "FULFILLED") {
      await this.events.publish(
        OrderEvents.fulfilled,
        { ...common, expiryDate: ts(order.expiryDate), fulfilledAt: ts(order.fulfilledAt) },
        { messageId: OrderMessageIds.fulfilled(order.orderId) },
      );
    } else if (order.status === "FAILED" && order.failureCode) {
      await this.events.publish(
        OrderEvents.failed,
        { ...common, failureCode: order.failureCode, reason: order.failureReason ?? failureMessage(order.failureCode), failedAt: ts(order.failedAt) },
        { messageId: OrderMessageIds.failed(order.orderId) },
      );
    } else {
      throw new Error(`order ${order.orderId} is ${order.status}; it has no outcome to announce`);
    }
  }

  /**
   * Asks for attempt `attempt`. A re-drive's id changes every `bucket` so a later re-drive is not taken for this one
   * (the sweep's buckets are numbers; an operator's are tagged, see operatorRedriveTag).
   */
  async announceRetryDue(orderId: string, attempt: number, cause: "retry" | "redrive", dueAt: Date, bucket: number | string = 0): Promise<{ duplicate: boolean }> {
    const messageId = OrderMessageIds.retryDue(orderId, attempt, cause === "retry" ? cause : `${cause}.${bucket}`);
    return this.events.publish(OrderEvents.retryDue, { orderId, attempt, cause, dueAt: ts(dueAt) }, { messageId });
  }
}
