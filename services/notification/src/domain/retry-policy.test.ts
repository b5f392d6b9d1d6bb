import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_DELAYS_MS, decideAfterAttempt, defaultRetrySchedule, parseDelaysByType, type RetrySchedule } from "./retry-policy.js";

const exact: RetrySchedule = { ...defaultRetrySchedule, jitter: 0 };
const middle = () => 0.5;

describe("decideAfterAttempt", () => {
  it("treats any 2xx as delivered", () => {
    expect(decideAfterAttempt(1, { status: 204 }, "ORDER_FULFILLED", exact)).toEqual({ kind: "delivered" });
  });

  it("retries on the seed's schedule (30 s, 2 m, 5 m, 10 m, 20 m), then the message is dead", () => {
    expect(DEFAULT_RETRY_DELAYS_MS).toEqual([30_000, 120_000, 300_000, 600_000, 1_200_000]);
    const delays = [1, 2, 3, 4, 5].map((n) => decideAfterAttempt(n, { status: 500 }, "ORDER_FULFILLED", exact));
    expect(delays).toEqual(DEFAULT_RETRY_DELAYS_MS.map((delayMs) => ({ kind: "retry", delayMs })));
    expect(decideAfterAttempt(6, { status: 500 }, "ORDER_FULFILLED", exact)).toEqual({ kind: "dead", reason: "no success after 6 attempts", endpointGone: false });
  });

  it("spreads each delay by ±20 %", () => {
    const s = defaultRetrySchedule;
    expect(decideAfterAttempt(1, { status: 500 }, "ORDER_FULFILLED", s, () => 0)).toEqual({ kind: "retry", delayMs: 24_000 });
    expect(decideAfterAttempt(1, { status: 500 }, "ORDER_FULFILLED", s, () => 1)).toEqual({ kind: "retry", delayMs: 36_000 });
    expect(decideAfterAttempt(1, { status: 500 }, "ORDER_FULFILLED", s, middle)).toEqual({ kind: "retry", delayMs: 30_000 });
  });

  it("uses an event type's own schedule when it has one", () => {
    const s = { ...exact, delaysByType: { ORDER_FAILED: [1_000] } };
    expect(decideAfterAttempt(1, { status: 500 }, "ORDER_FAILED", s)).toEqual({ kind: "retry", delayMs: 1_000 });
    expect(decideAfterAttempt(2, { status: 500 }, "ORDER_FAILED", s).kind).toBe("dead");
    expect(decideAfterAttempt(2, { status: 500 }, "ORDER_FULFILLED", s)).toEqual({ kind: "retry", delayMs: 120_000 });
  });

  it("retries network failures and redirects", () => {
    expect(decideAfterAttempt(1, {}, "ORDER_FULFILLED", exact).kind).toBe("retry");
    expect(decideAfterAttempt(1, { status: 301 }, "ORDER_FULFILLED", exact).kind).toBe("retry");
  });

  it("makes a 410 Gone dead at once and says the endpoint is gone", () => {
    expect(decideAfterAttempt(1, { status: 410 }, "ORDER_FULFILLED", exact)).toMatchObject({ kind: "dead", endpointGone: true });
  });

  it("waits at least 60 s after a 429 or a timeout", () => {
    const s = { ...exact, delaysMs: [1_000, 2_000] };
    expect(decideAfterAttempt(1, { status: 429 }, "ORDER_FULFILLED", s)).toEqual({ kind: "retry", delayMs: 60_000 });
    expect(decideAfterAttempt(1, { timedOut: true }, "ORDER_FULFILLED", s)).toEqual({ kind: "retry", delayMs: 60_000 });
    expect(decideAfterAttempt(1, { status: 503 }, "ORDER_FULFILLED", s)).toEqual({ kind: "retry", delayMs: 1_000 });
  });

  it("honours Retry-After when it asks for longer, clamped to the maximum", () => {
    expect(decideAfterAttempt(1, { status: 503, retryAfterSeconds: 90 }, "ORDER_FULFILLED", exact)).toEqual({ kind: "retry", delayMs: 90_000 });
    expect(decideAfterAttempt(1, { status: 503, retryAfterSeconds: 10 }, "ORDER_FULFILLED", exact)).toEqual({ kind: "retry", delayMs: 30_000 });
    expect(decideAfterAttempt(1, { status: 429, retryAfterSeconds: 99_999 }, "ORDER_FULFILLED", exact)).toEqual({ kind: "retry", delayMs: 3_600_000 });
  });
});

describe("parseDelaysByType", () => {
  it("reads TYPE=ms,ms entries separated by semicolons", () => {
    expect(parseDelaysByType("ORDER_FAILED=1000,2000; ORDER_FULFILLED = 5")).toEqual({ ORDER_FAILED: [1_000, 2_000], ORDER_FULFILLED: [5] });
    expect(parseDelaysByType("")).toEqual({});
    expect(() => parseDelaysByType("ORDER_FAILED:1000")).toThrow(/TYPE=ms/);
  });
});
