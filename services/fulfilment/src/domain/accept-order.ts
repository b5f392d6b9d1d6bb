import { OrderRejected, type CatalogueOffer, type OrderRecord } from "./order.js";
import { submissionFingerprint, validateSubmission, type OrderSubmission } from "./submission.js";

export type OfferLookup = CatalogueOffer | "PRODUCT_NOT_FOUND" | "TENURE_NOT_OFFERED";

export interface AcceptOrderPorts {
  findOffer(productId: string, tenure: string): Promise<OfferLookup>;
  findByIdempotencyKey(key: string): Promise<OrderRecord | undefined>;
  /** Stores a new order; resolves "duplicate" when the order id or key is already taken. */
  insert(order: OrderRecord): Promise<"inserted" | "duplicate">;
  /** Publishes OrderSubmitted and records that it was; failures are left to the relay. */
  announce(order: OrderRecord): Promise<void>;
  now(): Date;
}

export interface AcceptedOrder {
  readonly order: OrderRecord;
  readonly duplicate: boolean;
}

/**
 * Accepts an order exactly once per idempotency key. A repeat with the same
 * content returns the stored order; different content under the same key,
 * an unknown product or tenure, or an invalid field is rejected and stores
 * nothing.
 */
export async function acceptOrder(submission: OrderSubmission, ports: AcceptOrderPorts): Promise<AcceptedOrder> {
  const violations = validateSubmission(submission);
  if (violations.length > 0) {
    throw new OrderRejected("INVALID_ORDER", `the order has ${violations.length} invalid field(s)`, violations);
  }
  const fingerprint = submissionFingerprint(submission);

  const replay = await replayOf(submission.idempotencyKey, fingerprint, ports);
  if (replay) return replay;

  const offer = await ports.findOffer(submission.productId, submission.tenure);
  if (offer === "PRODUCT_NOT_FOUND") {
    throw new OrderRejected("PRODUCT_NOT_FOUND", `product "${submission.productId}" is not in the catalogue`);
  }
  if (offer === "TENURE_NOT_OFFERED") {
    throw new OrderRejected(
      "TENURE_NOT_OFFERED",
      `product "${submission.productId}" is not offered for tenure "${submission.tenure}"`,
    );
  }

  const now = ports.now();
  const order: OrderRecord = {
    orderId: submission.orderId,
    idempotencyKey: submission.idempotencyKey,
    fingerprint,
    status: "PENDING",
    productId: offer.productId,
    productName: offer.productName,
    zohoItemSku: offer.zohoItemSku,
    tenure: offer.tenure,
    tenureMonths: offer.months,
    customer: { ...submission.customer },
    price: offer.price,
    processingAttempts: 0,
    createdAt: now,
    updatedAt: now,
  };
  if ((await ports.insert(order)) === "duplicate") {
    // Lost a race with a concurrent request under the same key, or the order id is taken.
    const raced = await replayOf(submission.idempotencyKey, fingerprint, ports);
    if (raced) return raced;
    throw new OrderRejected("ORDER_ID_TAKEN", `order "${submission.orderId}" was already submitted with another Idempotency-Key`);
  }
  await ports.announce(order);
  return { order, duplicate: false };
}

async function replayOf(key: string, fingerprint: string, ports: AcceptOrderPorts): Promise<AcceptedOrder | undefined> {
  const existing = await ports.findByIdempotencyKey(key);
  if (!existing) return undefined;
  if (existing.fingerprint !== fingerprint) {
    throw new OrderRejected(
      "IDEMPOTENCY_KEY_REUSED",
      "this Idempotency-Key was already used for a different order; use a new key for a new order",
    );
  }
  // The first attempt may have died before announcing; announcing again is deduplicated.
  if (!existing.submittedPublishedAt) await ports.announce(existing);
  return { order: existing, duplicate: true };
}
