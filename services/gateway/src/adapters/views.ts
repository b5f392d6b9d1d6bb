import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Product } from "@t2m/proto/catalogue/v1/catalogue";
import type { Money } from "@t2m/proto/common/v1/common";
import { OrderStatus, type Order } from "@t2m/proto/fulfilment/v1/fulfilment";
import { SubscriptionChangeKind, SubscriptionStatus, type Subscription } from "@t2m/proto/provisioning/v1/provisioning";
import { partnerOfPlatformOrderId } from "@t2m/topology";
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
    // The subscription a renewal order renews (its original order's id); null for other orders.
    renews: order.renewsSubscriptionId ? partnerOfPlatformOrderId(order.renewsSubscriptionId).partnerOrderId : null,
  };
}

const SUBSCRIPTION_STATUS: Record<SubscriptionStatus, string> = {
  [SubscriptionStatus.UNSPECIFIED]: "UNKNOWN",
  [SubscriptionStatus.ACTIVE]: "ACTIVE",
  [SubscriptionStatus.EXPIRED]: "EXPIRED",
  [SubscriptionStatus.REVOKED]: "REVOKED",
};

const CHANGE: Record<SubscriptionChangeKind, string> = {
  [SubscriptionChangeKind.UNSPECIFIED]: "UNKNOWN",
  [SubscriptionChangeKind.ACTIVATED]: "ACTIVATED",
  [SubscriptionChangeKind.RENEWED]: "RENEWED",
  [SubscriptionChangeKind.EXPIRED]: "EXPIRED",
  [SubscriptionChangeKind.REVOKED]: "REVOKED",
};

/** A subscription as T2Mobile reads it; `history` only where it was read (one subscription, not a list). */
export function subscriptionJson(s: Subscription, withHistory: boolean) {
  // Platform ids are "<partner>~<id>" for partners other than T2Mobile: a partner sees its own ids.
  const own = (orderId: string) => partnerOfPlatformOrderId(orderId).partnerOrderId;
  return {
    orderId: own(s.orderId),
    activationReference: s.activationReference,
    status: SUBSCRIPTION_STATUS[s.status],
    productId: s.productId,
    tenure: s.tenure,
    customerId: s.customerId,
    customerEmail: orNull(s.customerEmail),
    zohoSalesOrderId: orNull(s.zohoSalesOrderId),
    startDate: iso(s.startDate),
    expiryDate: iso(s.expiryDate),
    renewals: s.renewals,
    revokedAt: iso(s.revokedAt),
    revocationReason: orNull(s.revocationReason),
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
    ...(withHistory
      ? {
          history: s.history.map((c) => ({
            version: c.version,
            change: CHANGE[c.kind],
            status: SUBSCRIPTION_STATUS[c.status],
            tenure: c.tenure,
            periodStart: iso(c.periodStart),
            periodEnd: iso(c.periodEnd),
            orderId: c.orderId ? own(c.orderId) : null,
            reason: orNull(c.reason),
            at: iso(c.changedAt),
          })),
        }
      : {}),
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
