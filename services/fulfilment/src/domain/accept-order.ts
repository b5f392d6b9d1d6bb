import { isTerminal } from "./lifecycle.js";
import type { OfferLookup } from "./offers.js";
import { OrderRejected, type OrderRecord } from "./order.js";
import { DEFAULT_PARTNER_ID, platformOrderId, scopedIdempotencyKey } from "./partner.js";
import { submissionFingerprint, validateSubmission, type OrderSubmission } from "./submission.js";

/**
 * The order to store for a submission, priced from the catalogue (a renewal
 * at the tenure's renewal price), or an OrderRejected that stores nothing.
 * No I/O: the caller checks a renewal's subscription (renews.subscriptionId
 * is empty until then) and inserts it.
 */
export function prepareOrder(submission: OrderSubmission, offer: (productId: string, tenure: string) => OfferLookup, now: Date): OrderRecord {
  const violations = validateSubmission(submission);
  if (violations.length > 0) {
    throw new OrderRejected("INVALID_ORDER", `the order has ${violations.length} invalid field(s)`, violations);
  }
  const found = offer(submission.productId, submission.tenure);
  if (found === "PRODUCT_NOT_FOUND") {
    throw new OrderRejected("PRODUCT_NOT_FOUND", `product "${submission.productId}" is not in the catalogue`);
  }
  if (found === "TENURE_NOT_OFFERED") {
    throw new OrderRejected("TENURE_NOT_OFFERED", `product "${submission.productId}" is not offered for tenure "${submission.tenure}"`);
  }
  const partnerId = submission.partnerId || DEFAULT_PARTNER_ID;
  return {
    orderId: platformOrderId(partnerId, submission.orderId),
    partnerId,
    partnerOrderId: submission.orderId,
    idempotencyKey: scopedIdempotencyKey(partnerId, submission.idempotencyKey),
    fingerprint: submissionFingerprint(submission),
    status: "PENDING",
    productId: found.productId,
    productName: found.productName,
    zohoItemSku: found.zohoItemSku,
    tenure: found.tenure,
    tenureMonths: found.months,
    customer: { ...submission.customer },
    price: submission.renews ? found.renewalPrice : found.price,
    ...(submission.renews ? { renews: { reference: submission.renews, subscriptionId: "" } } : {}),
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * What a submission that clashed with a stored order means. The insert is
 * tried first (no read before the write); only a clash reads what is stored
 * under the key: the same content under the same key is a replay, other
 * content is a client bug, and no order under the key means the order id
 * belongs to another key.
 */
export function resolveClash(candidate: OrderRecord, storedUnderKey: OrderRecord | undefined): OrderRecord {
  // Keys are scoped per partner, so another partner's order is never found here; should one be, it is not shown.
  if (!storedUnderKey || storedUnderKey.partnerId !== candidate.partnerId) {
    throw new OrderRejected("ORDER_ID_TAKEN", `order "${candidate.orderId}" was already submitted with another Idempotency-Key`);
  }
  if (storedUnderKey.fingerprint !== candidate.fingerprint) {
    throw new OrderRejected(
      "IDEMPOTENCY_KEY_REUSED",
      "this Idempotency-Key was already used for a different order; use a new key for a new order",
    );
  }
  return storedUnderKey;
}

/**
 * The order as it was when it was accepted: what the first 202 said. A
 * replay answers with it (IETF idempotency: the first response, not the
 * order's state now, which GET /orders/{id} gives). Everything in it is
 * fixed at acceptance, so it is rebuilt exactly from the stored order.
 */
export function asAccepted(order: OrderRecord): OrderRecord {
  return {
    orderId: order.orderId,
    partnerId: order.partnerId,
    partnerOrderId: order.partnerOrderId,
    idempotencyKey: order.idempotencyKey,
    fingerprint: order.fingerprint,
    status: "PENDING",
    productId: order.productId,
    productName: order.productName,
    zohoItemSku: order.zohoItemSku,
    tenure: order.tenure,
    tenureMonths: order.tenureMonths,
    customer: order.customer,
    price: order.price,
    attempts: 0,
    createdAt: order.createdAt,
    updatedAt: order.createdAt,
  };
}

/**
 * Whether the stored order's key may be released for a different order: it
 * is older than the retention (at least 24 hours) and its order is
 * finished (an unfinished order keeps its key: its worker is the only one
 * who may write it). The same order under the same key is always a replay.
 */
export function keyExpired(stored: OrderRecord, candidate: OrderRecord, now: Date, retentionMs: number): boolean {
  return (
    stored.partnerId === candidate.partnerId &&
    stored.fingerprint !== candidate.fingerprint &&
    isTerminal(stored.status) &&
    now.getTime() - stored.createdAt.getTime() >= retentionMs
  );
}
