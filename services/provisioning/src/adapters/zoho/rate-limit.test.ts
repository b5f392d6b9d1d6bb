import { describe, expect, it } from "vitest";
import { rateLimitPauseMs, retryAfterMs } from "./rate-limit.js";

const now = Date.parse("2026-03-01T10:00:00Z");
const headers = (init: Record<string, string>) => new Headers(init);

describe("rateLimitPauseMs", () => {
  it("takes Retry-After in seconds or as an HTTP date", () => {
    expect(rateLimitPauseMs(headers({ "retry-after": "7" }), now)).toBe(7_000);
    expect(rateLimitPauseMs(headers({ "retry-after": "Sun, 01 Mar 2026 10:00:30 GMT" }), now)).toBe(30_000);
  });

  it("falls back to X-Rate-Limit-Reset, as seconds to wait, epoch seconds or epoch milliseconds", () => {
    expect(rateLimitPauseMs(headers({ "x-rate-limit-reset": "12" }), now)).toBe(12_000);
    expect(rateLimitPauseMs(headers({ "x-rate-limit-reset": String(now / 1000 + 40) }), now)).toBe(40_000);
    expect(rateLimitPauseMs(headers({ "x-rate-limit-reset": String(now + 25_000) }), now)).toBe(25_000);
  });

  it("uses the default when neither says anything usable, and clamps to a sane range", () => {
    expect(rateLimitPauseMs(headers({}), now)).toBe(10_000);
    expect(rateLimitPauseMs(headers({ "retry-after": "soon" }), now)).toBe(10_000);
    expect(rateLimitPauseMs(headers({ "retry-after": "0" }), now)).toBe(1_000);
    expect(rateLimitPauseMs(headers({ "retry-after": "86400" }), now)).toBe(120_000);
    expect(rateLimitPauseMs(headers({ "retry-after": "3" }), now, { defaultMs: 5_000, minMs: 0, maxMs: 2_000 })).toBe(2_000);
  });

  it("reads Retry-After alone for transient answers too", () => {
    expect(retryAfterMs(headers({ "retry-after": "2" }), now)).toBe(2_000);
    expect(retryAfterMs(headers({}), now)).toBeUndefined();
  });
});
