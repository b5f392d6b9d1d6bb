import { backoffDelay, type Backoff } from "@t2m/platform";
import type { FailureCode, StepFailure } from "./failures.js";

const HOUR_MS = 60 * 60 * 1000;

/**
 * When fulfilment tries an order again and when it gives up. Give-up depends
 * on the order's age and the kind of failure, never on how often a message
 * was delivered: a long Zoho outage or a burst that waits for Zoho's budget
 * does not fail orders that would have succeeded.
 */
export interface FulfilmentRetryPolicy {
  readonly backoff: Backoff;
  /** A transient failure fails the order once the order is this old. */
  readonly giveUpTransientAfterMs: number;
  /** An unproven Zoho state fails the order once it is this old; null never gives up (an alert fires instead). */
  readonly giveUpReconcileAfterMs: number | null;
  /** While its licence waits in the manual queue, the order asks again this often (MANUAL_LICENCE_POLL_SECONDS). */
  readonly manualPollMs: number;
  /** …and fails once it has waited this long for an operator (MANUAL_LICENCE_GIVE_UP_HOURS). */
  readonly giveUpManualAfterMs: number;
}

export const defaultFulfilmentRetryPolicy: FulfilmentRetryPolicy = {
  backoff: { initialMs: 2_000, maxMs: 5 * 60 * 1000, jitter: 0.2 },
  giveUpTransientAfterMs: 24 * HOUR_MS,
  giveUpReconcileAfterMs: null,
  manualPollMs: 60_000,
  giveUpManualAfterMs: 72 * HOUR_MS,
};

export type RetryDecision =
  | { readonly action: "retry"; readonly delayMs: number }
  | { readonly action: "fail"; readonly code: FailureCode; readonly detail: string };

/** What to do after attempt `attempt` (1-based) failed with `failure` on an order `orderAgeMs` old. */
export function decideAfterFailure(
  failure: Exclude<StepFailure, { kind: "budget" | "manual" }>,
  attempt: number,
  orderAgeMs: number,
  policy: FulfilmentRetryPolicy,
  random: () => number = Math.random,
): RetryDecision {
  switch (failure.kind) {
    case "permanent":
      return { action: "fail", code: failure.code, detail: failure.detail };
    case "transient": {
      if (orderAgeMs >= policy.giveUpTransientAfterMs) {
        return { action: "fail", code: "TIMED_OUT", detail: `gave up after ${attempt} attempts over ${Math.round(orderAgeMs / 60_000)} min: ${failure.detail}` };
      }
      return { action: "retry", delayMs: Math.max(backoffDelay(attempt, policy.backoff, random), failure.retryAfterMs ?? 0) };
    }
    case "reconcile": {
      if (policy.giveUpReconcileAfterMs !== null && orderAgeMs >= policy.giveUpReconcileAfterMs) {
        return { action: "fail", code: "INTERNAL_ERROR", detail: `Zoho's state stayed unproven for ${Math.round(orderAgeMs / 60_000)} min: ${failure.detail}` };
      }
      return { action: "retry", delayMs: backoffDelay(attempt, policy.backoff, random) };
    }
  }
}

/**
 * The licence has waited `waitedMs` for an operator: ask again after the
 * poll delay (not a failed attempt: no backoff grows), or fail the order
 * once the wait is too long.
 */
export function decideManualWait(failure: Extract<StepFailure, { kind: "manual" }>, waitedMs: number, policy: FulfilmentRetryPolicy): RetryDecision {
  if (waitedMs >= policy.giveUpManualAfterMs) {
    const hours = Math.round((waitedMs / HOUR_MS) * 10) / 10;
    return { action: "fail", code: "PROVISIONING_FAILED", detail: `no operator provisioned the licence within ${hours} h (the manual queue): ${failure.detail}` };
  }
  return { action: "retry", delayMs: policy.manualPollMs };
}
