import { describe, expect, it } from "vitest";
import { EMPTY_WINDOW, take, type WindowState } from "./rate-window.js";
import { MemoryWindowStore, RateLimiter } from "../adapters/rate-limiter.js";
import { createLogger, createMetrics } from "@t2m/platform";

describe("the sliding window", () => {
  it("grants up to the limit in any 60 seconds, then tells when to retry", () => {
    const t0 = Date.parse("2026-11-27T10:00:00.500Z");
    let state: WindowState = EMPTY_WINDOW;
    const first = take(state, 3, 5, t0);
    state = first.next!;
    expect(first.decisions.map((d) => [d.allowed, d.remaining])).toEqual([[true, 4], [true, 3], [true, 2]]);
    const second = take(state, 4, 5, t0 + 30_000);
    state = second.next!;
    expect(second.decisions.map((d) => d.allowed)).toEqual([true, true, false, false]);
    // The first three requests leave the window at 10:01:00, 59.5 s after they came.
    expect(second.decisions[2]).toMatchObject({ remaining: 0, retryAfterSeconds: 30 });
    const refused = take(state, 1, 5, t0 + 59_000);
    expect(refused.next).toBeUndefined();
    expect(refused.decisions[0]!.allowed).toBe(false);
    expect(take(state, 1, 5, t0 + 59_600).decisions[0]!.allowed).toBe(true);
  });
});

describe("RateLimiter", () => {
  it("two replicas on one shared store allow the limit together, not twice it", async () => {
    const store = new MemoryWindowStore();
    const logger = createLogger("test", "silent");
    const replicas = [new RateLimiter(store, logger, createMetrics("a").registry), new RateLimiter(store, logger, createMetrics("b").registry)];
    const decisions = await Promise.all(Array.from({ length: 150 }, (_, i) => replicas[i % 2]!.take("acme", "orders", 100)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(100);
    // Budgets are apart: reads are untouched by orders.
    expect((await replicas[0]!.take("acme", "reads", 100)).allowed).toBe(true);
    expect((await replicas[1]!.take("other", "orders", 100)).allowed).toBe(true);
  });
});
