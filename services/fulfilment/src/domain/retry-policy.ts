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
}

export const defaultFulfilmentRetryPolicy: FulfilmentRetryPolicy = {
  backoff: { initialMs: 2_000, maxMs: 5 * 60 * 1000, jitter: 0.2 },
  giveUpTransientAfterMs: 24 * HOUR_MS,
  giveUpReconcileAfterMs: null,
};

export type RetryDecision =
  | { readonly action: "retry"; readonly delayMs: number }
  | { readonly action: "fail"; readonly code: FailureCode; readonly detail: string };

/** What to do after attempt `attempt` (1-based) failed with `failure` on an order `orderAgeMs` old. */
export function decideAfterFailure(
  failure: Exclude<StepFailure, { kind: "budget" }>,
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
