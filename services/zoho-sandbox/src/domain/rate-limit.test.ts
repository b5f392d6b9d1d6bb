import { describe, expect, it } from "vitest";
import { ConcurrencyLimiter, SlidingWindowRateLimiter } from "./rate-limit.js";

describe("SlidingWindowRateLimiter", () => {
  it("refuses the call over the limit until the window has moved past the oldest", () => {
    let now = 0;
    const limiter = new SlidingWindowRateLimiter({ limit: 3, windowMs: 60_000, now: () => now });
    for (const at of [0, 10_000, 20_000]) {
      now = at;
      expect(limiter.tryAcquire("org")).toBe(true);
    }
    now = 59_999;
    expect(limiter.tryAcquire("org")).toBe(false);
    now = 60_000;
    expect(limiter.tryAcquire("org")).toBe(true);
    expect(limiter.tryAcquire("org")).toBe(false);
  });

  it("counts each organisation separately", () => {
    const limiter = new SlidingWindowRateLimiter({ limit: 1, windowMs: 60_000, now: () => 0 });
    expect(limiter.tryAcquire("a")).toBe(true);
    expect(limiter.tryAcquire("b")).toBe(true);
    expect(limiter.tryAcquire("a")).toBe(false);
  });

  it("is off with a limit of 0", () => {
    const limiter = new SlidingWindowRateLimiter({ limit: 0, windowMs: 60_000, now: () => 0 });
    for (let i = 0; i < 1000; i++) expect(limiter.tryAcquire("org")).toBe(true);
  });
});

describe("SlidingWindowRateLimiter status", () => {
  it("says how many calls are left and when the oldest leaves the window", () => {
    let now = 0;
    const limiter = new SlidingWindowRateLimiter({ limit: 3, windowMs: 60_000, now: () => now });
    expect(limiter.status("org")).toEqual({ limit: 3, remaining: 3, resetSeconds: 0 });
    limiter.tryAcquire("org");
    now = 10_500;
    limiter.tryAcquire("org");
    expect(limiter.status("org")).toEqual({ limit: 3, remaining: 1, resetSeconds: 50 });
    now = 60_000;
    expect(limiter.status("org")).toEqual({ limit: 3, remaining: 2, resetSeconds: 11 });
    expect(new SlidingWindowRateLimiter({ limit: 0, windowMs: 60_000, now: () => 0 }).status("org")).toBeUndefined();
  });
});

describe("ConcurrencyLimiter", () => {
  it("holds at most the limit in flight per key, and remembers the peak", () => {
    const limiter = new ConcurrencyLimiter(2);
    expect([limiter.tryAcquire("org"), limiter.tryAcquire("org"), limiter.tryAcquire("org")]).toEqual([true, true, false]);
    expect(limiter.tryAcquire("other")).toBe(true);
    limiter.release("org");
    expect(limiter.inFlight("org")).toBe(1);
    expect(limiter.tryAcquire("org")).toBe(true);
    expect(limiter.peak).toBe(2);
    limiter.release("org");
    limiter.release("org");
    limiter.resetPeak();
    expect(limiter.peak).toBe(1);
  });

  it("is off with a limit of 0", () => {
    const limiter = new ConcurrencyLimiter(0);
    for (let i = 0; i < 100; i++) expect(limiter.tryAcquire("org")).toBe(true);
    expect(limiter.peak).toBe(100);
  });
});
