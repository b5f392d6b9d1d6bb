import type { OrderRecord } from "./order.js";

/** What the sweeper reads of an unfinished order. */
export type UnfinishedOrder = Pick<OrderRecord, "orderId" | "status" | "attempts" | "createdAt" | "updatedAt" | "nextAttemptAt" | "leaseUntil" | "waitingFor">;

/** How far a JetStream consumer is behind. */
export interface Backlog {
  /** Messages not yet delivered. */
  readonly pending: number;
  /** When the oldest undelivered message was stored. */
  readonly oldestUndeliveredAt: Date | undefined;
}

export interface SweepSettings {
  /** Orders this young are left to the request that stored them. */
  readonly graceMs: number;
  /**
   * A due retry is published again by every pass within this long of its due
   * time (the stream's duplicate window makes a repeat free); later only a
   * re-drive of a retry that was truly lost.
   */
  readonly relayWindowMs: number;
  /** An order that has not moved for this long, and is not queued, is re-driven. */
  readonly stuckAfterMs: number;
}

export type SweepAction =
  | { readonly kind: "retry-due"; readonly orderId: string; readonly attempt: number; readonly dueAt: Date }
  | { readonly kind: "redrive"; readonly orderId: string; readonly attempt: number; readonly reason: string };

export interface SweepPlan {
  readonly actions: readonly SweepAction[];
  /** The oldest order that is not waiting for an operator (the manual queue has its own age and alert). */
  readonly oldestUnfinishedAt: Date | undefined;
  readonly waitingForRetry: number;
  /** Orders whose licence waits in the manual queue. */
  readonly waitingForOperator: number;
}

/** True when a message stored at `storedAt` has certainly been delivered already (it is not waiting in the backlog). */
function delivered(storedAt: Date, backlog: Backlog): boolean {
  if (backlog.pending === 0 || !backlog.oldestUndeliveredAt) return true;
  return storedAt.getTime() < backlog.oldestUndeliveredAt.getTime() - 1_000;
}

/**
 * Decides, from the unfinished orders and the consumers' backlogs, what the
 * sweeper publishes. An order waiting its turn in a backlog (e.g. behind
 * Zoho's call budget) is queued, not stuck, however old it is, so a long
 * burst causes no storm of re-drives.
 */
export function planSweep(now: Date, orders: readonly UnfinishedOrder[], backlogs: { submitted: Backlog; retries: Backlog }, settings: SweepSettings): SweepPlan {
  const actions: SweepAction[] = [];
  let oldest: Date | undefined;
  let waitingForRetry = 0;
  let waitingForOperator = 0;
  const t = now.getTime();
  for (const order of orders) {
    if (order.waitingFor === "manual") waitingForOperator += 1;
    else if (!oldest || order.createdAt < oldest) oldest = order.createdAt;
    const age = t - order.createdAt.getTime();
    const next = order.attempts + 1;
    if (order.status === "PENDING") {
      // Never started although its OrderSubmitted would have been delivered by now: it was lost
      // (a crash between storing and publishing) or dropped. A queued order is left alone.
      if (age >= settings.stuckAfterMs && delivered(order.createdAt, backlogs.submitted)) {
        actions.push({ kind: "redrive", orderId: order.orderId, attempt: next, reason: "never started" });
      }
      continue;
    }
    if (order.nextAttemptAt) {
      waitingForRetry += 1;
      const overdue = t - order.nextAttemptAt.getTime();
      if (overdue >= settings.stuckAfterMs && delivered(order.nextAttemptAt, backlogs.retries)) {
        actions.push({ kind: "redrive", orderId: order.orderId, attempt: next, reason: "retry never ran" });
      } else if (overdue >= 0 && overdue < settings.relayWindowMs) {
        // Inside the duplicate window a repeat is free; later, only a re-drive of a truly lost retry.
        actions.push({ kind: "retry-due", orderId: order.orderId, attempt: next, dueAt: order.nextAttemptAt });
      }
      continue;
    }
    // An attempt in progress: its worker renews the lease; a lease long lapsed means the worker is gone.
    const lapsed = order.leaseUntil ? t - order.leaseUntil.getTime() : t - order.updatedAt.getTime();
    if (lapsed >= settings.stuckAfterMs) actions.push({ kind: "redrive", orderId: order.orderId, attempt: next, reason: "attempt abandoned" });
  }
  return { actions, oldestUnfinishedAt: oldest, waitingForRetry, waitingForOperator };
}
