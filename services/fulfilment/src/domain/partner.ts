import { randomBytes } from "node:crypto";
import { apiKeyDigest, apiKeyPrefix, DEFAULT_PARTNER_ID, PARTNER_ID_PATTERN } from "@t2m/topology";

export { DEFAULT_PARTNER_ID };

/** Where a setting came from: an operator's RPC, or a service's environment at startup (bootstrap). */
export type SettingSource = "operator" | "env";

export interface ApiKeyRecord {
  readonly keyId: string;
  readonly prefix: string;
  /** Lowercase hex SHA-256 of the key; the key itself is never stored. */
  readonly sha256: string;
  readonly createdAt: Date;
  readonly revokedAt?: Date;
  readonly source: SettingSource;
}

export interface WebhookSettings {
  readonly url: string;
  /** Standard Webhooks secrets; each signs every message. */
  readonly secrets: readonly string[];
  readonly source: SettingSource;
  readonly updatedAt: Date;
}

export type PartnerStatus = "ACTIVE" | "SUSPENDED";

/**
 * A partner of the platform: who may call the REST API with which keys,
 * how often, and where its webhooks go. Every change makes a new version
 * (see PartnerStore), so concurrent changes never lose one another.
 */
export interface PartnerRecord {
  readonly partnerId: string;
  readonly name: string;
  readonly status: PartnerStatus;
  /** 0: the gateway's default (RATE_LIMIT_PER_MINUTE). */
  readonly rateLimitPerMinute: number;
  readonly keys: readonly ApiKeyRecord[];
  readonly webhook?: WebhookSettings;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A change that is refused; nothing was stored. */
export class PartnerRejected extends Error {
  constructor(
    readonly reason: "INVALID_ARGUMENT" | "NOT_FOUND" | "ALREADY_EXISTS" | "FAILED_PRECONDITION",
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "PartnerRejected";
  }
}

export const MAX_ACTIVE_KEYS = 10;
export const MAX_RATE_LIMIT_PER_MINUTE = 1_000_000;
const NAME_PATTERN = /^[\x20-\x7e]{1,100}$/;
const WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

export function checkPartnerId(partnerId: string): void {
  if (!PARTNER_ID_PATTERN.test(partnerId)) {
    throw new PartnerRejected("INVALID_ARGUMENT", "partner_id", "must be 2 to 32 lowercase letters, digits or '-', starting with a letter");
  }
}

function checkName(name: string): void {
  if (!NAME_PATTERN.test(name) || name.trim() === "") throw new PartnerRejected("INVALID_ARGUMENT", "name", "must be 1 to 100 printable ASCII characters");
}

function checkRateLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_RATE_LIMIT_PER_MINUTE) {
    throw new PartnerRejected("INVALID_ARGUMENT", "rate_limit_per_minute", `must be 0 (the default) to ${MAX_RATE_LIMIT_PER_MINUTE}`);
  }
}

/** A Standard Webhooks secret: whsec_ and the base64 of 24 to 64 random bytes. */
export function isWebhookSecret(value: string): boolean {
  if (!WEBHOOK_SECRET_PATTERN.test(value)) return false;
  const bytes = Buffer.from(value.slice("whsec_".length), "base64").length;
  return bytes >= 24 && bytes <= 64;
}

export function checkWebhook(url: string, secrets: readonly string[], production: boolean): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PartnerRejected("INVALID_ARGUMENT", "url", "must be an absolute URL");
  }
  const allowed = production ? ["https:"] : ["https:", "http:"];
  if (!allowed.includes(parsed.protocol)) throw new PartnerRejected("INVALID_ARGUMENT", "url", `must use ${allowed.join(" or ")}`);
  if (parsed.username || parsed.password) throw new PartnerRejected("INVALID_ARGUMENT", "url", "must not carry credentials");
  if (secrets.length === 0) throw new PartnerRejected("INVALID_ARGUMENT", "secrets", "at least one signing secret is required (or generate_secret)");
  if (secrets.length > 5) throw new PartnerRejected("INVALID_ARGUMENT", "secrets", "at most 5 secrets sign at once");
  if (!secrets.every(isWebhookSecret)) throw new PartnerRejected("INVALID_ARGUMENT", "secrets", "each must be a Standard Webhooks secret: whsec_ followed by the base64 of 24 to 64 bytes");
}

/** A new API key: "t2m_" and 32 random bytes (base64url). */
export function newApiKey(): string {
  return `t2m_${randomBytes(32).toString("base64url")}`;
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

const newKeyId = () => `key_${randomBytes(9).toString("base64url")}`;

export const isActiveKey = (key: ApiKeyRecord): boolean => key.revokedAt === undefined;

export function newPartner(input: { partnerId: string; name: string; rateLimitPerMinute: number }, now: Date): PartnerRecord {
  checkPartnerId(input.partnerId);
  checkName(input.name);
  checkRateLimit(input.rateLimitPerMinute);
  return { partnerId: input.partnerId, name: input.name, status: "ACTIVE", rateLimitPerMinute: input.rateLimitPerMinute, keys: [], version: 1, createdAt: now, updatedAt: now };
}

/** The next version of a partner: each change function below returns one, or undefined when nothing changes. */
const next = (partner: PartnerRecord, changes: Partial<PartnerRecord>, now: Date): PartnerRecord => ({ ...partner, ...changes, version: partner.version + 1, updatedAt: now });

export function issueKey(partner: PartnerRecord, key: string, now: Date, source: SettingSource = "operator"): { partner: PartnerRecord; record: ApiKeyRecord } {
  if (partner.keys.filter(isActiveKey).length >= MAX_ACTIVE_KEYS) {
    throw new PartnerRejected("FAILED_PRECONDITION", "partner_id", `a partner has at most ${MAX_ACTIVE_KEYS} active keys; revoke one first`);
  }
  const record: ApiKeyRecord = { keyId: newKeyId(), prefix: apiKeyPrefix(key), sha256: apiKeyDigest(key), createdAt: now, source };
  return { partner: next(partner, { keys: [...partner.keys, record] }, now), record };
}

export function revokeKey(partner: PartnerRecord, keyId: string, now: Date): PartnerRecord | undefined {
  const key = partner.keys.find((k) => k.keyId === keyId);
  if (!key) throw new PartnerRejected("NOT_FOUND", "key_id", `partner "${partner.partnerId}" has no key "${keyId}"`);
  if (!isActiveKey(key)) return undefined;
  return next(partner, { keys: partner.keys.map((k) => (k.keyId === keyId ? { ...k, revokedAt: now } : k)) }, now);
}

export function setWebhook(partner: PartnerRecord, webhook: { url: string; secrets: readonly string[] }, source: SettingSource, now: Date, production: boolean): PartnerRecord | undefined {
  const secrets = [...new Set(webhook.secrets)];
  checkWebhook(webhook.url, secrets, production);
  const current = partner.webhook;
  if (current && current.url === webhook.url && current.source === source && current.secrets.join(" ") === secrets.join(" ")) return undefined;
  return next(partner, { webhook: { url: webhook.url, secrets, source, updatedAt: now } }, now);
}

export function setRateLimit(partner: PartnerRecord, limit: number, now: Date): PartnerRecord | undefined {
  checkRateLimit(limit);
  return limit === partner.rateLimitPerMinute ? undefined : next(partner, { rateLimitPerMinute: limit }, now);
}

export function setStatus(partner: PartnerRecord, status: PartnerStatus, now: Date): PartnerRecord | undefined {
  return status === partner.status ? undefined : next(partner, { status }, now);
}

/**
 * What a service's configuration adds to a partner at startup: a key digest
 * it does not hold yet (a digest it holds, even revoked, is left as it is,
 * so revoking the configured key sticks), and the configured webhook unless
 * an operator has set one since. Undefined when nothing changes.
 */
export function bootstrap(
  partner: PartnerRecord,
  input: { apiKeySha256?: string; apiKeyPrefix?: string; webhook?: { url: string; secrets: readonly string[] } },
  now: Date,
  production: boolean,
): PartnerRecord | undefined {
  let result = partner;
  let changed = false;
  if (input.apiKeySha256) {
    if (!/^[0-9a-f]{64}$/.test(input.apiKeySha256)) throw new PartnerRejected("INVALID_ARGUMENT", "api_key_sha256", "must be 64 lowercase hex digits");
    if (!result.keys.some((k) => k.sha256 === input.apiKeySha256)) {
      const record: ApiKeyRecord = { keyId: newKeyId(), prefix: (input.apiKeyPrefix ?? "").slice(0, 8), sha256: input.apiKeySha256, createdAt: now, source: "env" };
      result = { ...result, keys: [...result.keys, record] };
      changed = true;
    }
  }
  if (input.webhook && result.webhook?.source !== "operator") {
    const updated = setWebhook(result, input.webhook, "env", now, production);
    if (updated) {
      result = { ...updated, version: result.version };
      changed = true;
    }
  }
  return changed ? next(result, {}, now) : undefined;
}

// ---- orders of a partner

/** The separator of a partner's scope in stored idempotency keys: a control character, never part of a key (printable ASCII). */
const KEY_SCOPE = "\u001f";

// Platform order ids are topology's (notification and provisioning read them too).
export { partnerOrderIdOf, platformOrderId } from "@t2m/topology";

/** The stored, partner-scoped idempotency key (the raw key for T2Mobile, whose keys predate partners). */
export function scopedIdempotencyKey(partnerId: string, key: string): string {
  return partnerId === DEFAULT_PARTNER_ID ? key : `${partnerId}${KEY_SCOPE}${key}`;
}

/** What a stored key becomes once it has expired and was released for reuse: unique, and never equal to a live key. */
export function releasedIdempotencyKey(orderId: string): string {
  return `${KEY_SCOPE}released${KEY_SCOPE}${orderId}`;
}
