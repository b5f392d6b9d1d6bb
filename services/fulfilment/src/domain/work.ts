import { isTerminal } from "./lifecycle.js";
import type { OrderRecord } from "./order.js";

/**
 * A message asking for work on an order: the first (OrderSubmitted, attempt
 * 1) or a later attempt (a retry, or the sweeper's re-drive).
 */
export interface WorkRequest {
  readonly orderId: string;
  /** The attempt the message asks for. */
  readonly attempt: number;
  readonly cause: "submitted" | "retry" | "redrive";
  /** 1 on the message's first delivery; more means its earlier holder died or gave it back. */
  readonly deliveryCount: number;
}

/** What the worker does with a work request, decided from the stored order alone. */
export type WorkPlan =
  /** Finished: announce its outcome again (a crash may have come between storing it and announcing it). */
  | { readonly action: "announce" }
  /** Nothing to do: finished, or the request is older than what already happened. */
  | { readonly action: "drop"; readonly why: string }
  /** Another worker's attempt still holds the order: hand the message back until its lease runs out. */
  | { readonly action: "retry-later"; readonly delayMs: number }
  /** Claim this attempt, then run it. */
  | { readonly action: "claim"; readonly attempt: number };

export function planWork(order: OrderRecord, request: WorkRequest, now: Date): WorkPlan {
  if (isTerminal(order.status)) {
    // A redelivery or a re-drive may be the only chance to announce; a plain duplicate is not.
    return request.deliveryCount > 1 || request.cause === "redrive" ? { action: "announce" } : { action: "drop", why: "already finished" };
  }
  const next = order.attempts + 1;
  if (order.nextAttemptAt) {
    // Waiting for a retry: only the retry itself (or the sweeper's re-drive of it) starts the next attempt.
    if (request.cause === "redrive" || (request.cause === "retry" && request.attempt === next)) return { action: "claim", attempt: next };
    return { action: "drop", why: "a retry is already scheduled" };
  }
  const renewing = order.status === "PROCESSING" && order.leaseUntil && order.leaseUntil.getTime() > now.getTime();
  // A redelivered message or a re-drive carries on from wherever a dead holder left the order.
  if (request.deliveryCount > 1 || request.cause === "redrive") {
    return renewing ? { action: "retry-later", delayMs: order.leaseUntil!.getTime() - now.getTime() + 100 } : { action: "claim", attempt: next };
  }
  if (request.attempt < next) return { action: "drop", why: `attempt ${request.attempt} already ran` };
  return { action: "claim", attempt: next };
}

/** The stored claim of an attempt that someone else inserted first. */
export interface AttemptClaim {
  readonly orderId: string;
  readonly attempt: number;
  readonly claimedAt: Date;
  readonly leaseUntil: Date;
}

export type ClashPlan =
  /** Its holder is alive: leave the order to it. */
  | { readonly action: "drop" }
  /** Its holder may be alive: hand the message back until the lease runs out, then take over. */
  | { readonly action: "retry-later"; readonly delayMs: number }
  /** Its holder is gone: take the next attempt. */
  | { readonly action: "claim"; readonly attempt: number };

/**
 * Another worker claimed `claim.attempt` first. Its lease is the order's
 * (renewed while it works) once it has started, else the claim's own.
 */
export function planAfterClash(order: OrderRecord, claim: AttemptClaim, request: WorkRequest, now: Date): ClashPlan {
  const leaseUntil = order.attempts === claim.attempt && order.leaseUntil ? order.leaseUntil : claim.leaseUntil;
  if (leaseUntil.getTime() <= now.getTime()) return { action: "claim", attempt: claim.attempt + 1 };
  // A redelivery means this message's holder died; if that holder was the claimant, its lease will lapse.
  if (request.deliveryCount > 1) return { action: "retry-later", delayMs: leaseUntil.getTime() - now.getTime() + 100 };
  return { action: "drop" };
}
