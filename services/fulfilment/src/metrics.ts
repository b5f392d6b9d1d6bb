import type { Registry } from "@t2m/platform";
import { Counter, Gauge, Histogram } from "prom-client";
import type { SweepAction } from "./domain/sweep.js";

/** Fulfilment's own metrics (the platform adds RPC, event and process metrics). */
export function createFulfilmentMetrics(registry: Registry) {
  const registers = [registry];
  const metrics = {
    ordersAccepted: new Counter({
      name: "t2m_orders_accepted_total",
      help: "Orders submitted, by result (accepted, duplicate, or the rejection reason)",
      labelNames: ["result"],
      registers,
    }),
    intakeBatchSize: new Histogram({
      name: "t2m_order_intake_batch_size",
      help: "Orders stored per group-committed insert",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    }),
    ordersFinished: new Counter({
      name: "t2m_orders_finished_total",
      help: "Orders that reached a final status, by status, product and failure code",
      labelNames: ["status", "product", "failure_code"],
      registers,
    }),
    fulfilmentSeconds: new Histogram({
      name: "t2m_order_fulfilment_seconds",
      help: "Time from an order's acceptance to its final status",
      labelNames: ["status"],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    }),
    stepRetries: new Counter({
      name: "t2m_order_step_retries_total",
      help: "Order attempts that failed in a way worth retrying, by kind (transient, reconcile); the retry is scheduled in MongoDB",
      labelNames: ["kind"],
      registers,
    }),
    budgetWaitSeconds: new Histogram({
      name: "t2m_order_budget_wait_seconds",
      help: "Time an attempt spent waiting for Zoho's call budget (not a failure)",
      buckets: [0, 0.5, 1, 5, 15, 30, 60, 300, 900, 3600],
      registers,
    }),
    workDropped: new Counter({
      name: "t2m_order_work_dropped_total",
      help: "Work messages dropped as duplicates or stale, by why",
      labelNames: ["why"],
      registers,
    }),
    sweepActions: new Counter({
      name: "t2m_order_sweep_actions_total",
      help: "What the sweeper published: republished submissions, due retries, re-drives of stuck orders",
      labelNames: ["action"],
      registers,
    }),
    oldestUnfinishedAge: new Gauge({
      name: "t2m_oldest_unfinished_order_age_seconds",
      help: "Age of the oldest order that is neither FULFILLED nor FAILED (0 when none); as of the last sweep",
      registers,
    }),
    unfinishedOrders: new Gauge({
      name: "t2m_unfinished_orders",
      help: "Orders neither FULFILLED nor FAILED, by status, as of the last sweep",
      labelNames: ["status"],
      registers,
    }),
    lastSweep: new Gauge({
      name: "t2m_order_sweep_last_success_timestamp_seconds",
      help: "When the sweeper last completed a pass",
      registers,
    }),
  };
  // Every action the sweeper can take exists from the start at 0, so increase() and rate() see its first one.
  for (const action of ["retry-due", "redrive"] satisfies Array<SweepAction["kind"]>) metrics.sweepActions.inc({ action }, 0);
  return metrics;
}

export type FulfilmentMetrics = ReturnType<typeof createFulfilmentMetrics>;
