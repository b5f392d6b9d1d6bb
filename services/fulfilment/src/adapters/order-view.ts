import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { OrderSchema, OrderStatus, type Order } from "@t2m/proto/fulfilment/v1/fulfilment";
import { failureMessage } from "../domain/failures.js";
import type { OrderRecord, OrderStatus as Status } from "../domain/order.js";

const STATUS: Record<Status, OrderStatus> = {
  PENDING: OrderStatus.PENDING,
  PROCESSING: OrderStatus.PROCESSING,
  FULFILLED: OrderStatus.FULFILLED,
  FAILED: OrderStatus.FAILED,
};

const ts = (date: Date | undefined) => (date ? timestampFromDate(date) : undefined);

export function toOrderMessage(order: OrderRecord): Order {
  return create(OrderSchema, {
    orderId: order.orderId,
    partnerId: order.partnerId,
    partnerOrderId: order.partnerOrderId,
    status: STATUS[order.status],
    productId: order.productId,
    tenure: order.tenure,
    customer: order.customer,
    price: { currencyCode: order.price.currencyCode, amountMinor: BigInt(order.price.amountMinor) },
    zohoSalesOrderId: order.zohoSalesOrderId ?? "",
    activationReference: order.activationReference ?? "",
    expiryDate: ts(order.expiryDate),
    failureCode: order.failureCode ?? "",
    failureReason: order.failureCode ? (order.failureReason ?? failureMessage(order.failureCode)) : "",
    failureDetail: order.failureDetail ?? order.lastError ?? "",
    attempts: order.attempts,
    nextAttemptAt: ts(order.nextAttemptAt),
    salesOrderDisposition: order.salesOrderDisposition ?? "",
    renews: order.renews?.reference ?? "",
    renewsSubscriptionId: order.renews?.subscriptionId ?? "",
    createdAt: ts(order.createdAt),
    updatedAt: ts(order.updatedAt),
    fulfilledAt: ts(order.fulfilledAt),
    failedAt: ts(order.failedAt),
  });
}
