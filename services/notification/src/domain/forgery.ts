import type { OrderOutcome } from "./webhook.js";

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
  const mismatched = fields.filter(([, said, stored]) => said !== stored).map(([name]) => name);
  if (mismatched.length > 0) return { ok: false, reason: "id-mismatch", detail: `the event's ${mismatched.join(", ")} differ from the stored order's` };
  return { ok: true };
}
