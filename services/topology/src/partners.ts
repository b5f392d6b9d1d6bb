import { createHash } from "node:crypto";

/**
 * The partner every order, webhook and key belonged to before partners
 * existed: T2Mobile. Its orders keep their own ids as the platform's ids, and
 * it is bootstrapped from T2MOBILE_API_KEY and T2MOBILE_WEBHOOK_* so a setup
 * made before partners keeps working.
 */
export const DEFAULT_PARTNER_ID = "t2mobile";

/** Partner ids: lowercase letters, digits and '-', 2 to 32, starting with a letter (safe in NATS KV keys, URLs and logs). */
export const PARTNER_ID_PATTERN = /^[a-z][a-z0-9-]{1,31}$/;

/** How an API key is kept and looked up: the lowercase hex SHA-256 of the key (keys are long random strings, so a fast digest is enough). */
export const apiKeyDigest = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

/** The part of a key that may be shown: a quarter of it, at most 8 characters ("t2m_AbCd" for an issued key). */
export const apiKeyPrefix = (key: string): string => key.slice(0, Math.min(8, Math.floor(key.length / 4)));

/** The separator of a partner's scope in platform ids: never part of an order id or of a partner id. */
const ORDER_SCOPE = "~";

/**
 * The platform's id for a partner's order: T2Mobile's own id for T2Mobile
 * (its orders predate partners), "<partnerId>~<orderId>" for any other, so
 * that two partners may use the same order ids. Provisioning, Zoho and
 * notification see only this id (a subscription's id is its first order's).
 */
export function platformOrderId(partnerId: string, partnerOrderId: string): string {
  return partnerId === DEFAULT_PARTNER_ID ? partnerOrderId : `${partnerId}${ORDER_SCOPE}${partnerOrderId}`;
}

/** The partner's own id of a platform order id (the inverse of platformOrderId). */
export function partnerOrderIdOf(partnerId: string, orderId: string): string {
  const prefix = `${partnerId}${ORDER_SCOPE}`;
  return partnerId !== DEFAULT_PARTNER_ID && orderId.startsWith(prefix) ? orderId.slice(prefix.length) : orderId;
}

/** Whose a platform order id is, and the partner's own id for it. */
export function partnerOfPlatformOrderId(orderId: string): { partnerId: string; partnerOrderId: string } {
  const at = orderId.indexOf(ORDER_SCOPE);
  return at < 0 ? { partnerId: DEFAULT_PARTNER_ID, partnerOrderId: orderId } : { partnerId: orderId.slice(0, at), partnerOrderId: orderId.slice(at + 1) };
}
