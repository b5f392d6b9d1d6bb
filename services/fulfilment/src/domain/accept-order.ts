import type { OfferLookup } from "./offers.js";
import { OrderRejected, type OrderRecord } from "./order.js";
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
  return {
    orderId: submission.orderId,
    idempotencyKey: submission.idempotencyKey,
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
  if (!storedUnderKey) {
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
