import { createHash } from "node:crypto";
import type { FieldViolation } from "@t2m/platform";
import { DEFAULT_PARTNER_ID } from "@t2m/topology";

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
}

// Field names in violations are the REST API's, since that is what T2Mobile sees.
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
const PRODUCT_PATTERN = /^[A-Z0-9_]{2,64}$/;
const TENURE_PATTERN = /^\d{1,3}_MONTHS?$/;
// Deliberately simple: one @, no spaces, a dot in the domain. Zoho validates further.
const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
const PHONE_PATTERN = /^\+?[0-9]{7,15}$/;
// Printable ASCII without spaces (UUIDs recommended), so keys are safe to log and to index.
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
// Control characters and lone surrogates have no place in a name (and would reach Zoho and logs).
const UNPRINTABLE = /[\p{Cc}\p{Cs}]/u;

function check(violations: FieldViolation[], field: string, value: string, rule: RegExp, description: string): void {
  if (value.trim() === "") violations.push({ field, description: "is required" });
  else if (!rule.test(value)) violations.push({ field, description });
}

/** Every rule a submission must satisfy, checked together so the caller can fix all at once. */
export function validateSubmission(s: OrderSubmission): FieldViolation[] {
  const v: FieldViolation[] = [];
  check(v, "Idempotency-Key", s.idempotencyKey, IDEMPOTENCY_KEY_PATTERN, "must be 1 to 255 printable ASCII characters, without spaces");
  check(v, "orderId", s.orderId, ID_PATTERN, "must be 1 to 100 letters, digits, '_', '.', ':' or '-'");
  check(v, "productId", s.productId, PRODUCT_PATTERN, "must be a product id such as ZOHO_CRM_STD");
  check(v, "tenure", s.tenure, TENURE_PATTERN, "must be a tenure such as 12_MONTHS");
  check(v, "customerId", s.customer.customerId, ID_PATTERN, "must be 1 to 100 letters, digits, '_', '.', ':' or '-'");
  if (s.customer.name.trim() === "") v.push({ field: "customerName", description: "is required" });
  else if (s.customer.name.length > 200) v.push({ field: "customerName", description: "must be at most 200 characters" });
  else if (UNPRINTABLE.test(s.customer.name)) v.push({ field: "customerName", description: "must not contain control characters" });
  check(v, "customerEmail", s.customer.email, EMAIL_PATTERN, "must be an email address");
  check(v, "customerPhone", s.customer.phone.replace(/[\s-]/g, ""), PHONE_PATTERN, "must be a phone number of 7 to 15 digits");
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
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}
