import type { FailureCode } from "./failures.js";
import type { LicenceResult, OrderRecord, SalesOrderResult } from "./order.js";

/**
 * An order's statuses and the only moves between them. The store and the
 * test fakes both go through the functions below, so no code path can move
 * an order backwards or reopen a finished one.
 *
 *   PENDING ──► PROCESSING ──► FULFILLED
 *      │            │ ▲
 *      │            └─┘ (another attempt)
 *      └────────────┴──────► FAILED
 */
export const ORDER_STATUSES = ["PENDING", "PROCESSING", "FULFILLED", "FAILED"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const ALLOWED: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ["PROCESSING", "FAILED"],
  PROCESSING: ["PROCESSING", "FULFILLED", "FAILED"],
  FULFILLED: [],
  FAILED: [],
};

export const isTerminal = (status: OrderStatus): boolean => ALLOWED[status].length === 0;

export const canMove = (from: OrderStatus, to: OrderStatus): boolean => ALLOWED[from].includes(to);

export class InvalidTransition extends Error {
  constructor(
    readonly orderId: string,
    readonly from: OrderStatus,
    readonly to: OrderStatus,
  ) {
    super(`order ${orderId} cannot move from ${from} to ${to}`);
    this.name = "InvalidTransition";
  }
}

function move(order: OrderRecord, to: OrderStatus, at: Date, changes: Partial<OrderRecord>): OrderRecord {
  if (!canMove(order.status, to)) throw new InvalidTransition(order.orderId, order.status, to);
  return { ...order, ...changes, status: to, updatedAt: at };
}

/** A worker starts attempt `attempt`; it holds the order until `leaseUntil` unless it renews. */
export function startAttempt(order: OrderRecord, attempt: number, at: Date, leaseUntil: Date): OrderRecord {
  if (attempt <= order.attempts) throw new Error(`order ${order.orderId} already had attempt ${attempt}`);
  const { nextAttemptAt: _, ...rest } = order;
  return move(rest, "PROCESSING", at, { attempts: attempt, leaseUntil });
}

/** The attempt failed in a way worth another try at `dueAt`; the reason stays internal. */
export function scheduleRetry(order: OrderRecord, dueAt: Date, detail: string, at: Date): OrderRecord {
  const { leaseUntil: _, waitingFor: _w, ...rest } = order;
  return move(rest, "PROCESSING", at, { nextAttemptAt: dueAt, lastError: detail });
}

/**
 * The licence waits for an operator (the manual queue): ask again at `dueAt`.
 * The wait is counted apart from failed attempts (manualPolls), so it grows
 * no backoff; `since` is when the wait began (the queue's task says).
 */
export function waitForOperator(order: OrderRecord, dueAt: Date, since: Date, detail: string, at: Date): OrderRecord {
  const { leaseUntil: _, ...rest } = order;
  return move(rest, "PROCESSING", at, {
    nextAttemptAt: dueAt,
    lastError: detail,
    waitingFor: "manual",
    manualWaitSince: order.manualWaitSince ?? since,
    manualPolls: (order.manualPolls ?? 0) + 1,
  });
}

export function fulfil(order: OrderRecord, salesOrder: SalesOrderResult, licence: LicenceResult, at: Date): OrderRecord {
  const { leaseUntil: _l, nextAttemptAt: _n, lastError: _e, waitingFor: _w, ...rest } = order;
  return move(rest, "FULFILLED", at, { ...salesOrder, ...licence, fulfilledAt: at });
}

export function fail(
  order: OrderRecord,
  failure: { code: FailureCode; detail: string; reason?: string; salesOrderDisposition?: "VOIDED" | "FLAGGED" },
  at: Date,
): OrderRecord {
  const { leaseUntil: _l, nextAttemptAt: _n, waitingFor: _w, ...rest } = order;
  return move(rest, "FAILED", at, {
    failureCode: failure.code,
    failureDetail: failure.detail,
    ...(failure.reason ? { failureReason: failure.reason } : {}),
    ...(failure.salesOrderDisposition ? { salesOrderDisposition: failure.salesOrderDisposition } : {}),
    failedAt: at,
  });
}
