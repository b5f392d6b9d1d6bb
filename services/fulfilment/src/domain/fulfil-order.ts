import type { FailureCode, StepFailure } from "./failures.js";
import { partnerFailureReason } from "./failures.js";
import { fail, fulfil, scheduleRetry, waitForOperator } from "./lifecycle.js";
import type { LicenceResult, OrderRecord, SalesOrderResult } from "./order.js";
import { decideAfterFailure, decideManualWait, type FulfilmentRetryPolicy, type RetryDecision } from "./retry-policy.js";

export interface AttemptPorts {
  /** Idempotent on the order id: a repeat returns the first sales order and never makes a second. */
  createSalesOrder(order: OrderRecord): Promise<SalesOrderResult>;
  /** Idempotent on the order id. */
  provisionLicence(order: OrderRecord, salesOrder: SalesOrderResult): Promise<LicenceResult>;
  /** Voids (or flags) the sales order of an order that is failing; NONE when it has none. Idempotent. */
  voidSalesOrder(order: OrderRecord, code: FailureCode): Promise<"VOIDED" | "FLAGGED" | "NONE">;
  classify(err: unknown): StepFailure;
  /** Waits while Zoho's shared call budget is spent; rejects when the worker is stopping. */
  waitForBudget(ms: number): Promise<void>;
  now(): Date;
  random(): number;
}

export type AttemptOutcome =
  | { readonly kind: "fulfilled" | "failed"; readonly order: OrderRecord; readonly budgetWaitMs: number }
  | {
      readonly kind: "retry";
      readonly order: OrderRecord;
      readonly delayMs: number;
      readonly budgetWaitMs: number;
      /** What kind of failure the retry follows (manual: the licence waits for an operator; not a failure). */
      readonly after: "transient" | "reconcile" | "manual";
    };

/**
 * Runs one attempt on an order the caller holds (status PROCESSING, attempt
 * claimed): the sales order, then the licence, then the final status. Every
 * step is idempotent on the order id downstream, so an attempt after a crash
 * repeats no external effect. Waiting for Zoho's call budget happens inside
 * the attempt and never counts as a failure. The returned order is what the
 * caller must store.
 */
export async function runAttempt(order: OrderRecord, ports: AttemptPorts, policy: FulfilmentRetryPolicy): Promise<AttemptOutcome> {
  let budgetWaitMs = 0;
  /** Runs a step, waiting out a spent budget as often as it takes; other failures are classified and thrown. */
  const step = async <T>(run: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await run();
      } catch (err) {
        const failure = ports.classify(err);
        if (failure.kind !== "budget") throw new ClassifiedFailure(failure);
        budgetWaitMs += failure.retryAfterMs;
        await ports.waitForBudget(failure.retryAfterMs);
      }
    }
  };

  let failure: Exclude<StepFailure, { kind: "budget" }>;
  try {
    const salesOrder = await step(() => ports.createSalesOrder(order));
    const licence = await step(() => ports.provisionLicence(order, salesOrder));
    return { kind: "fulfilled", order: fulfil(order, salesOrder, licence, ports.now()), budgetWaitMs };
  } catch (err) {
    if (!(err instanceof ClassifiedFailure)) throw err;
    failure = err.failure;
  }

  const now = ports.now();
  // Polls of the manual queue are not failed attempts: backoff counts only the others.
  const failedAttempts = Math.max(1, order.attempts - (order.manualPolls ?? 0));
  let decision: RetryDecision;
  if (failure.kind === "manual") {
    const since = order.manualWaitSince ?? failure.waitingSince ?? now;
    decision = decideManualWait(failure, now.getTime() - since.getTime(), policy);
    if (decision.action === "retry") {
      const dueAt = new Date(now.getTime() + decision.delayMs);
      return { kind: "retry", order: waitForOperator(order, dueAt, since, failure.detail, now), delayMs: decision.delayMs, budgetWaitMs, after: "manual" };
    }
  } else {
    decision = decideAfterFailure(failure, failedAttempts, now.getTime() - order.createdAt.getTime(), policy, ports.random);
    if (decision.action === "retry") {
      const dueAt = new Date(now.getTime() + decision.delayMs);
      const after = failure.kind === "reconcile" ? "reconcile" : "transient";
      return { kind: "retry", order: scheduleRetry(order, dueAt, failure.detail, now), delayMs: decision.delayMs, budgetWaitMs, after };
    }
  }
  const reason = failure.kind === "permanent" && failure.partnerReason ? partnerFailureReason(decision.code, failure.partnerReason) : undefined;

  // Failing: a sales order Zoho already holds for the order is voided (or flagged) first.
  let disposition: "VOIDED" | "FLAGGED" | "NONE";
  try {
    disposition = await step(() => ports.voidSalesOrder(order, decision.code));
  } catch (err) {
    if (!(err instanceof ClassifiedFailure)) throw err;
    const voidFailure = err.failure;
    if (voidFailure.kind === "permanent" || voidFailure.kind === "manual") {
      disposition = "FLAGGED";
    } else {
      // Voiding may work later: keep the order unfinished and try the whole step again.
      const retry = decideAfterFailure(voidFailure, failedAttempts, now.getTime() - order.createdAt.getTime(), policy, ports.random);
      if (retry.action === "retry") {
        const detail = `${decision.detail}; voiding its sales order failed: ${voidFailure.detail}`;
        const dueAt = new Date(now.getTime() + retry.delayMs);
        return { kind: "retry", order: scheduleRetry(order, dueAt, detail, now), delayMs: retry.delayMs, budgetWaitMs, after: "transient" };
      }
      disposition = "FLAGGED";
    }
  }
  const failed = fail(
    order,
    { code: decision.code, detail: decision.detail, ...(reason ? { reason } : {}), ...(disposition === "NONE" ? {} : { salesOrderDisposition: disposition }) },
    ports.now(),
  );
  return { kind: "failed", order: failed, budgetWaitMs };
}

class ClassifiedFailure extends Error {
  constructor(readonly failure: Exclude<StepFailure, { kind: "budget" }>) {
    super(failure.detail);
  }
}
