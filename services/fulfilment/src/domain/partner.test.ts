import { apiKeyDigest } from "@t2m/topology";
import { describe, expect, it } from "vitest";
import { bootstrap, isWebhookSecret, issueKey, newApiKey, newPartner, newWebhookSecret, platformOrderId, revokeKey, scopedIdempotencyKey, setWebhook } from "./partner.js";

const now = new Date("2026-11-27T10:00:00Z");
const later = new Date("2026-11-27T11:00:00Z");
const secret = newWebhookSecret();

describe("partners", () => {
  it("keeps keys as digests with a prefix, several active at once, and revokes one", () => {
    const partner = newPartner({ partnerId: "acme", name: "Acme", rateLimitPerMinute: 0 }, now);
    const first = newApiKey();
    const second = newApiKey();
    const one = issueKey(partner, first, now);
    const two = issueKey(one.partner, second, later);
    expect(two.partner.keys.map((k) => k.sha256)).toEqual([apiKeyDigest(first), apiKeyDigest(second)]);
    expect(JSON.stringify(two.partner)).not.toContain(first.slice(8));
    expect(two.record.prefix).toBe(second.slice(0, 8));
    const revoked = revokeKey(two.partner, one.record.keyId, later)!;
    expect(revoked.keys.map((k) => k.revokedAt !== undefined)).toEqual([true, false]);
    expect(revoked.version).toBe(partner.version + 3);
    expect(revokeKey(revoked, one.record.keyId, later)).toBeUndefined();
  });

  it("refuses bad ids, URLs and secrets", () => {
    expect(() => newPartner({ partnerId: "Acme!", name: "x", rateLimitPerMinute: 0 }, now)).toThrow(/partner_id|lowercase/);
    const partner = newPartner({ partnerId: "acme", name: "Acme", rateLimitPerMinute: 0 }, now);
    expect(() => setWebhook(partner, { url: "http://hooks.acme.test/x", secrets: [secret] }, "operator", now, true)).toThrow(/https/);
    expect(() => setWebhook(partner, { url: "https://u:p@hooks.acme.test/x", secrets: [secret] }, "operator", now, true)).toThrow(/credentials/);
    expect(() => setWebhook(partner, { url: "https://hooks.acme.test/x", secrets: ["whsec_short"] }, "operator", now, true)).toThrow(/secret/);
    expect(isWebhookSecret(secret)).toBe(true);
  });

  it("bootstraps a configured key once (a revoked one stays revoked) and follows the configured webhook until an operator sets one", () => {
    const partner = newPartner({ partnerId: "t2mobile", name: "T2Mobile", rateLimitPerMinute: 0 }, now);
    const sha = apiKeyDigest("t2m_sandbox_key_0123456789abcdef");
    const booted = bootstrap(partner, { apiKeySha256: sha, apiKeyPrefix: "t2m_", webhook: { url: "http://127.0.0.1:1/h", secrets: [secret] } }, now, false)!;
    expect(booted.keys).toHaveLength(1);
    expect(booted.webhook).toMatchObject({ url: "http://127.0.0.1:1/h", source: "env" });
    expect(bootstrap(booted, { apiKeySha256: sha, webhook: { url: "http://127.0.0.1:1/h", secrets: [secret] } }, later, false)).toBeUndefined();
    const revoked = revokeKey(booted, booted.keys[0]!.keyId, later)!;
    expect(bootstrap(revoked, { apiKeySha256: sha }, later, false)).toBeUndefined();
    const moved = bootstrap(revoked, { webhook: { url: "http://127.0.0.1:2/h", secrets: [secret] } }, later, false)!;
    expect(moved.webhook?.url).toBe("http://127.0.0.1:2/h");
    const operated = setWebhook(moved, { url: "https://hooks.t2mobile.test/h", secrets: [secret] }, "operator", later, false)!;
    expect(bootstrap(operated, { webhook: { url: "http://127.0.0.1:3/h", secrets: [secret] } }, later, false)).toBeUndefined();
  });

  it("scopes order ids and idempotency keys per partner; T2Mobile keeps its own", () => {
    expect(platformOrderId("t2mobile", "T2M1")).toBe("T2M1");
    expect(platformOrderId("acme", "T2M1")).toBe("acme~T2M1");
    expect(scopedIdempotencyKey("t2mobile", "k")).toBe("k");
    expect(scopedIdempotencyKey("acme", "k")).not.toBe("k");
    expect(scopedIdempotencyKey("acme", "k")).not.toBe(scopedIdempotencyKey("acme2", "k"));
  });
});
