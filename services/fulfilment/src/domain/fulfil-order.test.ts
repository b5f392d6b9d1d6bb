import { describe, expect, it } from "vitest";
import type { FailureCode, StepFailure } from "./failures.js";
import { runAttempt, type AttemptPorts } from "./fulfil-order.js";
import { startAttempt } from "./lifecycle.js";
import type { OrderRecord } from "./order.js";
import { sampleOrder } from "./order.fixtures.js";
import { defaultFulfilmentRetryPolicy as policy } from "./retry-policy.js";

const created = new Date("2026-11-27T10:00:00Z");
const now = new Date("2026-11-27T10:00:05Z");
const running = (overrides: Partial<OrderRecord> = {}) =>
  startAttempt(sampleOrder({ createdAt: created, ...overrides }), 1, now, new Date(now.getTime() + 45_000));

/** A failure the fake classifier maps to a StepFailure. */
class Fails extends Error {
  constructor(readonly failure: StepFailure) {
    super("failed");
  }
}

/** In-memory ports that count every external effect; each behaviour throws a StepFailure or returns. */
function ports(behaviour: { salesOrder?: (call: number) => StepFailure | undefined; licence?: () => StepFailure | undefined; voids?: () => StepFailure | undefined } = {}) {
  const calls = { salesOrders: 0, made: 0, licences: 0, voids: [] as FailureCode[], waits: [] as number[] };
  const attemptPorts: AttemptPorts = {
    createSalesOrder: async () => {
      calls.salesOrders += 1;
      const failure = behaviour.salesOrder?.(calls.salesOrders);
      if (failure) throw new Fails(failure);
      calls.made += 1;
      return { zohoSalesOrderId: "SO-1", zohoSalesOrderNumber: "T2M1", zohoCustomerId: "CU-1" };
    },
    provisionLicence: async () => {
      calls.licences += 1;
      const failure = behaviour.licence?.();
      if (failure) throw new Fails(failure);
      return { activationReference: "ACT-1", expiryDate: new Date("2027-11-27T10:00:05Z") };
    },
    voidSalesOrder: async (_order, code) => {
      calls.voids.push(code);
      const failure = behaviour.voids?.();
      if (failure) throw new Fails(failure);
      return calls.made > 0 ? "VOIDED" : "NONE";
    },
    classify: (err) => (err as Fails).failure,
    waitForBudget: async (ms) => void calls.waits.push(ms),
    now: () => now,
    random: () => 0.5,
  };
  return { attemptPorts, calls };
}

describe("runAttempt", () => {
  it("makes the sales order, provisions the licence and fulfils", async () => {
    const { attemptPorts, calls } = ports();
    const outcome = await runAttempt(running(), attemptPorts, policy);
    expect(outcome).toMatchObject({ kind: "fulfilled", budgetWaitMs: 0 });
    expect(outcome.order).toMatchObject({ status: "FULFILLED", zohoSalesOrderId: "SO-1", activationReference: "ACT-1" });
    expect(calls).toMatchObject({ salesOrders: 1, licences: 1, voids: [] });
  });

  it("waits for Zoho's budget as often as it takes, without counting it as a failure", async () => {
    const { attemptPorts, calls } = ports({ salesOrder: (n) => (n <= 3 ? { kind: "budget", retryAfterMs: 1_500 } : undefined) });
    const outcome = await runAttempt(running(), attemptPorts, policy);
    expect(outcome).toMatchObject({ kind: "fulfilled", budgetWaitMs: 4_500 });
    expect(calls.waits).toEqual([1_500, 1_500, 1_500]);
    expect(outcome.order.attempts).toBe(1);
  });

  it("schedules a retry after a transient failure, keeping the detail internal", async () => {
    const { attemptPorts } = ports({ licence: () => ({ kind: "transient", detail: "licence: UNAVAILABLE: provisioning down" }) });
    const outcome = await runAttempt(running(), attemptPorts, policy);
    expect(outcome).toMatchObject({ kind: "retry", delayMs: 2_000, after: "transient" });
    expect(outcome.order).toMatchObject({ status: "PROCESSING", nextAttemptAt: new Date(now.getTime() + 2_000), lastError: "licence: UNAVAILABLE: provisioning down" });
    expect(outcome.order.failureCode).toBeUndefined();
  });

  it("retries an unproven Zoho state instead of failing on a guess", async () => {
    const { attemptPorts, calls } = ports({ salesOrder: () => ({ kind: "reconcile", detail: "number exists, not found" }) });
    const outcome = await runAttempt(running(), attemptPorts, policy);
    expect(outcome).toMatchObject({ kind: "retry", after: "reconcile" });
    expect(calls.voids).toEqual([]);
  });

  it("fails at once on a permanent failure, and voids a sales order that already exists", async () => {
    const { attemptPorts, calls } = ports({ licence: () => ({ kind: "permanent", code: "PROVISIONING_FAILED", detail: "licence: FAILED_PRECONDITION" }) });
    const outcome = await runAttempt(running(), attemptPorts, policy);
    expect(outcome.kind).toBe("failed");
    expect(outcome.order).toMatchObject({ status: "FAILED", failureCode: "PROVISIONING_FAILED", failureDetail: "licence: FAILED_PRECONDITION", salesOrderDisposition: "VOIDED" });
    expect(calls.voids).toEqual(["PROVISIONING_FAILED"]);
  });

  it("records no disposition when no sales order was made", async () => {
    const { attemptPorts } = ports({ salesOrder: () => ({ kind: "permanent", code: "PRODUCT_UNAVAILABLE", detail: "no item" }) });
    const outcome = await runAttempt(running(), attemptPorts, policy);
    expect(outcome.order).toMatchObject({ status: "FAILED", failureCode: "PRODUCT_UNAVAILABLE" });
    expect(outcome.order.salesOrderDisposition).toBeUndefined();
  });

  it("keeps the order unfinished while its sales order cannot be voided yet", async () => {
    const { attemptPorts } = ports({
      licence: () => ({ kind: "permanent", code: "PROVISIONING_FAILED", detail: "refused" }),
      voids: () => ({ kind: "transient", detail: "void: UNAVAILABLE" }),
    });
    const outcome = await runAttempt(running(), attemptPorts, policy);
    expect(outcome).toMatchObject({ kind: "retry" });
    expect(outcome.order.status).toBe("PROCESSING");
    expect(outcome.order.lastError).toContain("voiding its sales order failed");
  });

  it("gives up on a transient failure once the order is a day old", async () => {
    const old = running({ createdAt: new Date(now.getTime() - 25 * 60 * 60 * 1000) });
    const { attemptPorts } = ports({ salesOrder: () => ({ kind: "transient", detail: "timeout" }) });
    const outcome = await runAttempt(old, attemptPorts, policy);
    expect(outcome.order).toMatchObject({ status: "FAILED", failureCode: "TIMED_OUT" });
  });

  describe("with the licence in the manual queue", () => {
    const manual = (waitingSince = now): StepFailure => ({ kind: "manual", detail: "licence: Unavailable LICENCE_PENDING_MANUAL", waitingSince });
    const HOUR = 60 * 60 * 1000;

    it("waits for the operator: checks again after the poll delay, counted apart from failed attempts", async () => {
      const { attemptPorts, calls } = ports({ licence: () => manual() });
      const first = await runAttempt(running(), attemptPorts, policy);
      expect(first).toMatchObject({ kind: "retry", after: "manual", delayMs: policy.manualPollMs });
      expect(first.order).toMatchObject({ status: "PROCESSING", waitingFor: "manual", manualWaitSince: now, manualPolls: 1, nextAttemptAt: new Date(now.getTime() + policy.manualPollMs) });
      expect(calls.voids).toEqual([]);
      // Many polls later a transient failure still starts its backoff from the beginning.
      const polled = startAttempt({ ...first.order, nextAttemptAt: undefined, attempts: 40, manualPolls: 40 }, 41, now, new Date(now.getTime() + 45_000));
      const transient = await runAttempt(polled, ports({ licence: () => ({ kind: "transient", detail: "503" }) }).attemptPorts, policy);
      expect(transient).toMatchObject({ kind: "retry", after: "transient", delayMs: policy.backoff.initialMs });
      expect(transient.order.waitingFor).toBeUndefined();
    });

    it("fails the order once it has waited the give-up age for an operator, voiding its sales order", async () => {
      const since = new Date(now.getTime() - 72 * HOUR);
      const { attemptPorts, calls } = ports({ licence: () => manual(since) });
      const outcome = await runAttempt(running({ manualWaitSince: since, manualPolls: 4000 }), attemptPorts, policy);
      expect(outcome).toMatchObject({ kind: "failed", order: { status: "FAILED", failureCode: "PROVISIONING_FAILED", salesOrderDisposition: "VOIDED" } });
      expect(outcome.order.failureDetail).toMatch(/no operator provisioned the licence within 72 h/);
      expect(outcome.order.waitingFor).toBeUndefined();
      expect(calls.voids).toEqual(["PROVISIONING_FAILED"]);
    });

    it("fulfils with the operator's reference once the task is completed", async () => {
      const waited = { ...running(), waitingFor: "manual" as const, manualWaitSince: now, manualPolls: 3 };
      const outcome = await runAttempt(waited, ports().attemptPorts, policy);
      expect(outcome.order).toMatchObject({ status: "FULFILLED", activationReference: "ACT-1" });
      expect(outcome.order.waitingFor).toBeUndefined();
    });

    it("fails with the operator's reason for the partner after a refusal", async () => {
      const { attemptPorts } = ports({ licence: () => ({ kind: "permanent", code: "PROVISIONING_FAILED", detail: "licence: FailedPrecondition LICENCE_TASK_FAILED", partnerReason: "no seat left" }) });
      const outcome = await runAttempt(running(), attemptPorts, policy);
      expect(outcome.order).toMatchObject({ status: "FAILED", failureCode: "PROVISIONING_FAILED", failureReason: "The licence could not be provisioned: no seat left" });
    });
  });
});
