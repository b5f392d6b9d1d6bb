import { describe, expect, it } from "vitest";
import { planSweep, type Backlog, type UnfinishedOrder } from "./sweep.js";

const now = new Date("2026-11-27T10:00:00Z");
const ago = (s: number) => new Date(now.getTime() - s * 1000);
const settings = { graceMs: 5_000, relayWindowMs: 90_000, stuckAfterMs: 300_000 };
const idle: Backlog = { pending: 0, oldestUndeliveredAt: undefined };
const order = (orderId: string, o: Partial<UnfinishedOrder>): UnfinishedOrder => ({
  orderId,
  status: "PENDING",
  attempts: 0,
  createdAt: ago(1),
  updatedAt: ago(1),
  ...o,
});

describe("planSweep", () => {
  it("leaves PENDING orders younger than the stuck threshold to the stream, and reports the oldest", () => {
    const plan = planSweep(now, [order("new", { createdAt: ago(2) }), order("waiting", { createdAt: ago(200) })], { submitted: idle, retries: idle }, settings);
    expect(plan.actions).toEqual([]);
    expect(plan.oldestUnfinishedAt).toEqual(ago(200));
  });

  it("re-drives a PENDING order whose message was delivered long ago, but not one still queued", () => {
    const old = order("old", { createdAt: ago(600) });
    expect(planSweep(now, [old], { submitted: idle, retries: idle }, settings).actions).toEqual([{ kind: "redrive", orderId: "old", attempt: 1, reason: "never started" }]);
    // A burst waiting for Zoho's budget: the oldest undelivered message is older than the order.
    const backlog: Backlog = { pending: 5_000, oldestUndeliveredAt: ago(900) };
    expect(planSweep(now, [old], { submitted: backlog, retries: idle }, settings).actions).toEqual([]);
  });

  it("publishes due retries inside the duplicate window and re-drives ones lost long ago", () => {
    const due = order("due", { status: "PROCESSING", attempts: 2, nextAttemptAt: ago(3) });
    const later = order("later", { status: "PROCESSING", attempts: 1, nextAttemptAt: new Date(now.getTime() + 60_000) });
    const lost = order("lost", { status: "PROCESSING", attempts: 4, nextAttemptAt: ago(400) });
    const plan = planSweep(now, [due, later, lost], { submitted: idle, retries: idle }, settings);
    expect(plan.actions).toEqual([
      { kind: "retry-due", orderId: "due", attempt: 3, dueAt: ago(3) },
      { kind: "redrive", orderId: "lost", attempt: 5, reason: "retry never ran" },
    ]);
    expect(plan.waitingForRetry).toBe(3);
  });

  it("re-drives an attempt whose worker stopped renewing its lease long ago", () => {
    const alive = order("alive", { status: "PROCESSING", attempts: 1, leaseUntil: new Date(now.getTime() + 30_000) });
    const dead = order("dead", { status: "PROCESSING", attempts: 1, leaseUntil: ago(301) });
    expect(planSweep(now, [alive, dead], { submitted: idle, retries: idle }, settings).actions).toEqual([
      { kind: "redrive", orderId: "dead", attempt: 2, reason: "attempt abandoned" },
    ]);
  });

  it("leaves orders waiting for an operator (the manual licence queue) out of the oldest unfinished order, and still relays their checks", () => {
    const waiting = order("manual", { status: "PROCESSING", attempts: 3, createdAt: ago(50_000), waitingFor: "manual", nextAttemptAt: ago(10) });
    const plan = planSweep(now, [waiting, order("new", { createdAt: ago(20) })], { submitted: idle, retries: idle }, settings);
    expect(plan.oldestUnfinishedAt).toEqual(ago(20));
    expect(plan.waitingForOperator).toBe(1);
    expect(plan.actions).toEqual([{ kind: "retry-due", orderId: "manual", attempt: 4, dueAt: ago(10) }]);
  });
});
