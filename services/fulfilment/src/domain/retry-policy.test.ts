import { describe, expect, it } from "vitest";
import { decideAfterFailure, decideManualWait, defaultFulfilmentRetryPolicy as policy } from "./retry-policy.js";

const HOUR = 60 * 60 * 1000;
const middle = () => 0.5;

describe("decideAfterFailure", () => {
  it("retries transient failures with growing backoff while the order is younger than a day", () => {
    const delays = [1, 2, 3, 8, 30].map((attempt) => decideAfterFailure({ kind: "transient", detail: "503" }, attempt, HOUR, policy, middle));
    expect(delays).toEqual([2_000, 4_000, 8_000, 256_000, 300_000].map((delayMs) => ({ action: "retry", delayMs })));
  });

  it("waits at least as long as the failing side asked", () => {
    expect(decideAfterFailure({ kind: "transient", detail: "503", retryAfterMs: 60_000 }, 1, 0, policy, middle)).toEqual({ action: "retry", delayMs: 60_000 });
  });

  it("gives up on a transient failure by the order's age, not by how often it was tried", () => {
    expect(decideAfterFailure({ kind: "transient", detail: "503" }, 2, 24 * HOUR, policy, middle)).toMatchObject({ action: "fail", code: "TIMED_OUT" });
    expect(decideAfterFailure({ kind: "transient", detail: "503" }, 500, 23 * HOUR, policy, middle)).toMatchObject({ action: "retry" });
  });

  it("fails a permanent failure at once with its code", () => {
    expect(decideAfterFailure({ kind: "permanent", code: "PRODUCT_UNAVAILABLE", detail: "no item" }, 1, 0, policy)).toEqual({
      action: "fail",
      code: "PRODUCT_UNAVAILABLE",
      detail: "no item",
    });
  });

  it("never fails an order on an unproven Zoho state by default", () => {
    expect(decideAfterFailure({ kind: "reconcile", detail: "number taken, order not found" }, 40, 30 * 24 * HOUR, policy, middle)).toMatchObject({ action: "retry" });
    const bounded = { ...policy, giveUpReconcileAfterMs: 7 * 24 * HOUR };
    expect(decideAfterFailure({ kind: "reconcile", detail: "x" }, 40, 8 * 24 * HOUR, bounded, middle)).toMatchObject({ action: "fail", code: "INTERNAL_ERROR" });
  });
});

describe("decideManualWait", () => {
  it("asks again after the poll delay, however often it asked, until the wait reaches the give-up age", () => {
    const manual = { kind: "manual", detail: "licence: Unavailable LICENCE_PENDING_MANUAL" } as const;
    expect(decideManualWait(manual, 0, policy)).toEqual({ action: "retry", delayMs: 60_000 });
    expect(decideManualWait(manual, 71 * HOUR, policy)).toEqual({ action: "retry", delayMs: 60_000 });
    expect(decideManualWait(manual, 72 * HOUR, policy)).toMatchObject({ action: "fail", code: "PROVISIONING_FAILED", detail: expect.stringMatching(/no operator provisioned the licence within 72 h/) });
  });
});
