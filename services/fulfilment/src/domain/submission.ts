import { createHash } from "node:crypto";
import type { FieldViolation } from "@t2m/platform";
import { DEFAULT_PARTNER_ID, fieldProblem, IdempotencyKeyRule, OrderFieldRules, RenewsRule, type FieldRule } from "@t2m/topology";

/** An order as T2Mobile submits it, before it is accepted. */
export interface OrderSubmission {
  /** The partner placing the order; its order ids and keys are its own. */
  readonly partnerId: string;
  /** The partner's Idempotency-Key, as sent. */
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly productId: string;
  readonly tenure: string;
  readonly customer: {
    readonly customerId: string;
    readonly name: string;
    readonly email: string;
    readonly phone: string;
  };
  /** A renewal: the subscription renewed, by activation reference or original order id. */
  readonly renews?: string;
}

// Field names in violations are the REST API's, since that is what T2Mobile sees; the rules are the
// published contract's (OrderFieldRules), which the gateway documents and checks too.
function check(violations: FieldViolation[], field: string, value: string, rule: FieldRule): void {
  const problem = fieldProblem(rule, value);
  if (problem) violations.push({ field, description: problem });
}

/** Every rule a submission must satisfy, checked together so the caller can fix all at once. */
export function validateSubmission(s: OrderSubmission): FieldViolation[] {
  const v: FieldViolation[] = [];
  const r = OrderFieldRules;
  check(v, "Idempotency-Key", s.idempotencyKey, IdempotencyKeyRule);
  check(v, "orderId", s.orderId, r.orderId);
  check(v, "productId", s.productId, r.productId);
  check(v, "tenure", s.tenure, r.tenure);
  check(v, "customerId", s.customer.customerId, r.customerId);
  check(v, "customerName", s.customer.name, r.customerName);
  check(v, "customerEmail", s.customer.email, r.customerEmail);
  check(v, "customerPhone", s.customer.phone, r.customerPhone);
  if (s.renews !== undefined && s.renews !== "") {
    check(v, "renews", s.renews, RenewsRule);
    if (s.renews === s.orderId) v.push({ field: "renews", description: "must name another order than this one" });
  }
  return v;
}

/**
 * A digest of what was ordered (the key itself excluded). The same key with
 * the same fingerprint is a retry; with another fingerprint, a client bug.
 */
export function submissionFingerprint(s: OrderSubmission): string {
  const canonical = JSON.stringify([
    // T2Mobile's fingerprints predate partners and stay as they were.
    ...(s.partnerId && s.partnerId !== DEFAULT_PARTNER_ID ? [s.partnerId] : []),
    s.orderId,
    s.productId,
    s.tenure,
    s.customer.customerId,
    s.customer.name,
    s.customer.email,
    s.customer.phone,
    // Only renewals carry it, so the fingerprints of other orders stay what they were.
    ...(s.renews ? [s.renews] : []),
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}
