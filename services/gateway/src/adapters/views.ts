import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Product } from "@t2m/proto/catalogue/v1/catalogue";
import type { Money } from "@t2m/proto/common/v1/common";
import { OrderStatus, type Order } from "@t2m/proto/fulfilment/v1/fulfilment";
import { formatAmount } from "../domain/rest-order.js";

const iso = (t: Timestamp | undefined) => (t ? timestampDate(t).toISOString() : null);
const orNull = (s: string) => (s === "" ? null : s);
const money = (m: Money | undefined) => (m ? { currency: m.currencyCode, amount: formatAmount(m.amountMinor) } : null);

const STATUS: Record<OrderStatus, string> = {
  [OrderStatus.UNSPECIFIED]: "UNKNOWN",
  [OrderStatus.PENDING]: "PENDING",
  [OrderStatus.PROCESSING]: "PROCESSING",
  [OrderStatus.FULFILLED]: "FULFILLED",
  [OrderStatus.FAILED]: "FAILED",
};

/** An order as T2Mobile reads it: flat, camelCase, absent values as null. */
export function orderJson(order: Order) {
  return {
    // The partner's own id (the platform's id is "<partner>~<id>" for partners other than T2Mobile).
    orderId: order.partnerOrderId || order.orderId,
    status: STATUS[order.status],
    productId: order.productId,
    tenure: order.tenure,
    customerId: order.customer?.customerId ?? null,
    customerName: order.customer?.name ?? null,
    customerEmail: order.customer?.email ?? null,
    customerPhone: order.customer?.phone ?? null,
    price: money(order.price),
    zohoSalesOrderId: orNull(order.zohoSalesOrderId),
    activationReference: orNull(order.activationReference),
    expiryDate: iso(order.expiryDate),
    // The documented code and its fixed message; the internal failure_detail is never shown.
    failureCode: orNull(order.failureCode),
    failureReason: orNull(order.failureReason),
    createdAt: iso(order.createdAt),
    updatedAt: iso(order.updatedAt),
    fulfilledAt: iso(order.fulfilledAt),
    failedAt: iso(order.failedAt),
  };
}

export function productJson(product: Product) {
  return {
    productId: product.productId,
    name: product.name,
    description: product.description,
    tenures: product.tenures.map((t) => ({ tenure: t.tenure, months: t.months, price: money(t.price) })),
  };
}
