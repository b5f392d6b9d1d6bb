import { describe, expect, it } from "vitest";
import { fail, scheduleRetry, startAttempt } from "./lifecycle.js";
import { sampleOrder } from "./order.fixtures.js";
import { planAfterClash, planWork, type WorkRequest } from "./work.js";

const now = new Date("2026-11-27T10:00:00Z");
const at = (s: number) => new Date(now.getTime() + s * 1000);
const submitted: WorkRequest = { orderId: "T2M1", attempt: 1, cause: "submitted", deliveryCount: 1 };
const pending = sampleOrder();
const inProgress = startAttempt(pending, 1, at(-5), at(40));
const waiting = scheduleRetry(inProgress, at(10), "503", at(-1));
const failed = fail(inProgress, { code: "ORDER_REJECTED", detail: "x" }, at(-1));

describe("planWork", () => {
  it("claims the first attempt of a new order", () => {
    expect(planWork(pending, submitted, now)).toEqual({ action: "claim", attempt: 1 });
  });

  it("drops duplicates and stale requests", () => {
    expect(planWork(failed, submitted, now)).toMatchObject({ action: "drop" });
    expect(planWork(waiting, submitted, now)).toMatchObject({ action: "drop" });
    expect(planWork(waiting, { ...submitted, cause: "retry", attempt: 3 }, now)).toMatchObject({ action: "drop" });
    expect(planWork(inProgress, submitted, now)).toMatchObject({ action: "drop", why: "attempt 1 already ran" });
  });

  it("runs a due retry", () => {
    expect(planWork(waiting, { ...submitted, cause: "retry", attempt: 2 }, now)).toEqual({ action: "claim", attempt: 2 });
  });

  it("announces a finished order again on a redelivery or a re-drive only", () => {
    expect(planWork(failed, { ...submitted, deliveryCount: 2 }, now)).toEqual({ action: "announce" });
    expect(planWork(failed, { ...submitted, cause: "redrive", attempt: 2 }, now)).toEqual({ action: "announce" });
  });

  it("takes over from a holder that died, once its lease has run out", () => {
    const redelivered = { ...submitted, deliveryCount: 2 };
    expect(planWork(inProgress, redelivered, now)).toEqual({ action: "retry-later", delayMs: 40_100 });
    expect(planWork(inProgress, redelivered, at(41))).toEqual({ action: "claim", attempt: 2 });
    expect(planWork(pending, redelivered, now)).toEqual({ action: "claim", attempt: 1 });
  });
});

describe("planAfterClash", () => {
  const claim = { orderId: "T2M1", attempt: 1, claimedAt: at(-5), leaseUntil: at(40) };

  it("leaves the order to a live holder", () => {
    expect(planAfterClash(pending, claim, submitted, now)).toEqual({ action: "drop" });
  });

  it("hands a redelivered message back until the holder's lease runs out, then claims the next attempt", () => {
    expect(planAfterClash(pending, claim, { ...submitted, deliveryCount: 2 }, now)).toEqual({ action: "retry-later", delayMs: 40_100 });
    expect(planAfterClash(pending, claim, { ...submitted, deliveryCount: 2 }, at(41))).toEqual({ action: "claim", attempt: 2 });
  });

  it("follows the lease the holder renews on the order once it has started", () => {
    const renewed = { ...inProgress, leaseUntil: at(90) };
    expect(planAfterClash(renewed, claim, submitted, at(60))).toEqual({ action: "drop" });
    expect(planAfterClash(renewed, claim, submitted, at(91))).toEqual({ action: "claim", attempt: 2 });
  });
});
