import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AcceptedOrderSchema, type AcceptedOrder } from "@t2m/proto/events/v1/events";
import { DEFAULT_PARTNER_ID } from "@t2m/topology";
import type { OrderRecord } from "../domain/order.js";

/** The order as intake stored it, carried by OrderSubmitted so the worker's first attempt needs no read. */
export function toAcceptedOrder(order: OrderRecord): AcceptedOrder {
  return create(AcceptedOrderSchema, {
    orderId: order.orderId,
    idempotencyKey: order.idempotencyKey,
    fingerprint: order.fingerprint,
    productId: order.productId,
    productName: order.productName,
    zohoItemSku: order.zohoItemSku,
    tenure: order.tenure,
    tenureMonths: order.tenureMonths,
    customer: order.customer,
    price: { currencyCode: order.price.currencyCode, amountMinor: BigInt(order.price.amountMinor) },
    createdAt: timestampFromDate(order.createdAt),
    partnerId: order.partnerId,
    partnerOrderId: order.partnerOrderId,
    renewsReference: order.renews?.reference ?? "",
    renewsSubscriptionId: order.renews?.subscriptionId ?? "",
  });
}

/** The stored order an AcceptedOrder stands for (PENDING, no attempt yet); undefined when it is incomplete. */
export function fromAcceptedOrder(accepted: AcceptedOrder | undefined): OrderRecord | undefined {
  if (!accepted?.orderId || !accepted.customer || !accepted.price || !accepted.createdAt) return undefined;
  const createdAt = timestampDate(accepted.createdAt);
  return {
    orderId: accepted.orderId,
    partnerId: accepted.partnerId || DEFAULT_PARTNER_ID,
    partnerOrderId: accepted.partnerOrderId || accepted.orderId,
    idempotencyKey: accepted.idempotencyKey,
    fingerprint: accepted.fingerprint,
    status: "PENDING",
    productId: accepted.productId,
    productName: accepted.productName,
    zohoItemSku: accepted.zohoItemSku,
    tenure: accepted.tenure,
    tenureMonths: accepted.tenureMonths,
    customer: { customerId: accepted.customer.customerId, name: accepted.customer.name, email: accepted.customer.email, phone: accepted.customer.phone },
    price: { currencyCode: accepted.price.currencyCode, amountMinor: Number(accepted.price.amountMinor) },
    attempts: 0,
    ...(accepted.renewsReference ? { renews: { reference: accepted.renewsReference, subscriptionId: accepted.renewsSubscriptionId } } : {}),
    createdAt,
    updatedAt: createdAt,
  };
}
