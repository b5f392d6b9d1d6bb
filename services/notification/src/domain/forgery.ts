import type { OrderOutcome, SubscriptionEvent } from "./webhook.js";

/** The stored order as fulfilment reports it (FulfilmentService.GetOrder). */
export interface StoredOrder {
  readonly orderId: string;
  /** The partner that placed the order: its webhooks go to that partner's endpoint. */
  readonly partnerId: string;
  /** The order id as the partner knows it (what the webhook's data.orderId says). */
  readonly partnerOrderId: string;
  readonly status: "PENDING" | "PROCESSING" | "FULFILLED" | "FAILED" | "UNKNOWN";
  readonly productId: string;
  readonly tenure: string;
  readonly customerId: string;
  readonly zohoSalesOrderId: string;
  readonly activationReference: string;
  readonly failureCode: string;
  /** For a renewal order: the subscription it renews. */
  readonly renewsSubscriptionId: string;
}

export type OutcomeCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly detail: string };

/**
 * The forgery guard: an outcome event is signed and sent as truth only when
 * the stored order agrees with it (the status it announces, and every id it
 * carries). A forged event, or a stale one about an order that has moved
 * on, is refused.
 */
export function checkOutcome(outcome: OrderOutcome, order: StoredOrder | undefined): OutcomeCheck {
  if (!order) return { ok: false, reason: "unknown-order", detail: `no order ${outcome.orderId}` };
  const expected = outcome.type === "ORDER_FULFILLED" ? "FULFILLED" : "FAILED";
  if (order.status !== expected) return { ok: false, reason: "status-mismatch", detail: `the event says ${expected}, the order is ${order.status}` };
  const fields: Array<[string, string, string]> = [
    ["orderId", outcome.orderId, order.orderId],
    ["productId", outcome.productId, order.productId],
    ["tenure", outcome.tenure, order.tenure],
    ["customerId", outcome.customerId, order.customerId],
    ["zohoSalesOrderId", outcome.zohoSalesOrderId, order.zohoSalesOrderId],
    ["activationReference", outcome.activationReference, order.activationReference],
  ];
  if (outcome.type === "ORDER_FAILED") fields.push(["failureCode", outcome.failureCode ?? "", order.failureCode]);
  fields.push(["renewsSubscriptionId", outcome.renewsSubscriptionId ?? "", order.renewsSubscriptionId]);
  const mismatched = fields.filter(([, said, stored]) => said !== stored).map(([name]) => name);
  if (mismatched.length > 0) return { ok: false, reason: "id-mismatch", detail: `the event's ${mismatched.join(", ")} differ from the stored order's` };
  return { ok: true };
}

/** One change in a stored subscription's history. */
export interface StoredChange {
  readonly version: number;
  readonly kind: "ACTIVATED" | "RENEWED" | "EXPIRED" | "REVOKED" | "UNKNOWN";
  readonly orderId: string;
  readonly periodEnd: Date | undefined;
  readonly tenure: string;
}

/** The stored subscription as provisioning reports it (SubscriptionService.LookupSubscription). */
export interface StoredSubscription {
  readonly subscriptionId: string;
  readonly status: "ACTIVE" | "EXPIRED" | "REVOKED" | "UNKNOWN";
  readonly activationReference: string;
  readonly productId: string;
  readonly customerId: string;
  readonly customerEmail: string;
  readonly expiryDate: Date | undefined;
  readonly history: readonly StoredChange[];
}

const sameTime = (a: Date | undefined, b: Date | undefined) => a !== undefined && b !== undefined && a.getTime() === b.getTime();

/**
 * The forgery guard for subscription events: a renewal, revocation or
 * expiry is signed only when the subscription's history holds that change
 * (by version, kind, order and period end), and a reminder only while the
 * subscription is ACTIVE with the period end the reminder names (one made
 * stale by a renewal or a revocation since is not sent).
 */
export function checkSubscriptionEvent(event: SubscriptionEvent, subscription: StoredSubscription | undefined): OutcomeCheck {
  if (!subscription) return { ok: false, reason: "unknown-subscription", detail: `no subscription ${event.subscriptionId}` };
  const mismatched = (
    [
      ["subscriptionId", event.subscriptionId, subscription.subscriptionId],
      ["activationReference", event.activationReference, subscription.activationReference],
      ["productId", event.productId, subscription.productId],
      ["customerId", event.customerId, subscription.customerId],
    ] as const
  )
    .filter(([, said, stored]) => said !== stored)
    .map(([name]) => name);
  if (mismatched.length > 0) return { ok: false, reason: "id-mismatch", detail: `the event's ${mismatched.join(", ")} differ from the stored subscription's` };
  if (event.type === "EXPIRY_REMINDER") {
    if (subscription.status !== "ACTIVE" || !sameTime(subscription.expiryDate, event.expiryDate)) {
      return { ok: false, reason: "stale", detail: `the reminder is for a period ending ${event.expiryDate.toISOString()}; the subscription is ${subscription.status} until ${subscription.expiryDate?.toISOString()}` };
    }
    if (event.customerEmail !== subscription.customerEmail) return { ok: false, reason: "id-mismatch", detail: "the event's customerEmail differs from the stored subscription's" };
    return { ok: true };
  }
  const change = subscription.history.find((c) => c.version === event.version);
  const expected = event.type === "SUBSCRIPTION_RENEWED" ? "RENEWED" : event.type === "SUBSCRIPTION_REVOKED" ? "REVOKED" : "EXPIRED";
  if (!change || change.kind !== expected) {
    return { ok: false, reason: "history-mismatch", detail: `the event says change ${event.version} is ${expected}; the history has ${change ? change.kind : "no such change"}` };
  }
  if (event.type === "SUBSCRIPTION_RENEWED" && (change.orderId !== event.renewalOrderId || change.tenure !== event.tenure)) {
    return { ok: false, reason: "history-mismatch", detail: `change ${event.version} was made by order ${change.orderId} for ${change.tenure}` };
  }
  if (event.type !== "SUBSCRIPTION_REVOKED" && !sameTime(change.periodEnd, event.expiryDate)) {
    return { ok: false, reason: "history-mismatch", detail: `change ${event.version} ends the period at ${change.periodEnd?.toISOString()}, not ${event.expiryDate.toISOString()}` };
  }
  return { ok: true };
}
