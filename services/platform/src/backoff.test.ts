import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";

describe("backoffDelay", () => {
  it("grows by the multiplier and stops at the cap", () => {
    const b = { initialMs: 1_000, maxMs: 5_000 };
    expect([1, 2, 3, 4, 10].map((n) => backoffDelay(n, b))).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it("spreads the delay by the jitter fraction both ways", () => {
    const b = { initialMs: 10_000, maxMs: 60_000, jitter: 0.2 };
    expect(backoffDelay(1, b, () => 0)).toBe(8_000);
    expect(backoffDelay(1, b, () => 1)).toBe(12_000);
    expect(backoffDelay(1, b, () => 0.5)).toBe(10_000);
  });
});
