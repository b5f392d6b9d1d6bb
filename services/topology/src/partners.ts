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
