import { describe, expect, it } from "vitest";
import { AccessTokens } from "./tokens.js";

const credentials = { clientId: "1000.CLIENT", clientSecret: "client-secret", refreshToken: "1000.refresh" };
const goodGrant = { grant_type: "refresh_token", client_id: "1000.CLIENT", client_secret: "client-secret", refresh_token: "1000.refresh" };

function tokensAt(start = 1_000_000) {
  let now = start;
  const tokens = new AccessTokens({ credentials, ttlSeconds: 3600, now: () => now });
  return { tokens, advance: (ms: number) => (now += ms) };
}

describe("AccessTokens", () => {
  it("issues a distinct live token per grant and counts them", () => {
    const { tokens } = tokensAt();
    const first = tokens.grant(goodGrant);
    const second = tokens.grant(goodGrant);
    expect(first).toMatchObject({ ok: true, expiresInSeconds: 3600 });
    if (!first.ok || !second.ok) throw new Error("grant failed");
    expect(first.accessToken).not.toBe(second.accessToken);
    expect(tokens.isLive(first.accessToken)).toBe(true);
    expect(tokens.issuedCount).toBe(2);
    expect(tokens.liveCount).toBe(2);
  });

  it("lets a token lapse after its time to live", () => {
    const { tokens, advance } = tokensAt();
    const grant = tokens.grant(goodGrant);
    if (!grant.ok) throw new Error("grant failed");
    advance(3600 * 1000 - 1);
    expect(tokens.isLive(grant.accessToken)).toBe(true);
    advance(1);
    expect(tokens.isLive(grant.accessToken)).toBe(false);
    expect(tokens.liveCount).toBe(0);
  });

  it("answers bad credentials the way Zoho does", () => {
    const { tokens } = tokensAt();
    expect(tokens.grant({ ...goodGrant, refresh_token: "1000.other" })).toEqual({ ok: false, error: "invalid_code" });
    expect(tokens.grant({ ...goodGrant, client_id: "1000.OTHER" })).toEqual({ ok: false, error: "invalid_client" });
    expect(tokens.grant({ ...goodGrant, client_secret: "wrong" })).toEqual({ ok: false, error: "invalid_client" });
    expect(tokens.grant({ ...goodGrant, grant_type: "authorization_code" })).toEqual({ ok: false, error: "unsupported_grant_type" });
    expect(tokens.issuedCount).toBe(0);
  });

  it("never accepts a token it did not issue, or none", () => {
    const { tokens } = tokensAt();
    tokens.grant(goodGrant);
    expect(tokens.isLive("1000.made.up")).toBe(false);
    expect(tokens.isLive(undefined)).toBe(false);
  });

  it("expires every token at once on request, while new grants still work", () => {
    const { tokens } = tokensAt();
    const before = tokens.grant(goodGrant);
    tokens.grant(goodGrant);
    expect(tokens.expireAll()).toBe(2);
    if (!before.ok) throw new Error("grant failed");
    expect(tokens.isLive(before.accessToken)).toBe(false);
    const after = tokens.grant(goodGrant);
    expect(after.ok && tokens.isLive(after.accessToken)).toBe(true);
  });
});
