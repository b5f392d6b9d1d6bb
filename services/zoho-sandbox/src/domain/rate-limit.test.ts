import { describe, expect, it } from "vitest";
import { SlidingWindowRateLimiter } from "./rate-limit.js";

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
