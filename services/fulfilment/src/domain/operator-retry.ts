import { isTerminal } from "./lifecycle.js";
import type { OrderRecord } from "./order.js";

/** What an operator's RetryOrder does with an order. */
export type OperatorRetryPlan =
  /** Publish a re-drive of this attempt: the worker claims it now, or once a live attempt's lease runs out. */
  | { readonly action: "redrive"; readonly attempt: number }
  /** FULFILLED and FAILED are final: no attempt ever runs again. */
  | { readonly action: "refuse"; readonly reason: string };

export function planOperatorRetry(order: Pick<OrderRecord, "orderId" | "status" | "attempts">): OperatorRetryPlan {
  if (isTerminal(order.status)) return { action: "refuse", reason: `order "${order.orderId}" is ${order.status}: a finished order is never attempted again` };
  return { action: "redrive", attempt: order.attempts + 1 };
}

/**
 * The re-drive's message-id tag: one per minute, so an operator's repeated
 * retries within a minute publish one re-drive (the stream's duplicate
 * window drops the rest), and never the same id as the sweep's own re-drives.
 */
export const operatorRedriveTag = (now: Date): string => `operator-${Math.floor(now.getTime() / 60_000)}`;
