import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { repeatEvery, type Logger } from "@t2m/platform";
import type { BudgetObserver } from "../domain/call-budget.js";
import type { ZohoOperation, ZohoRequestEvent } from "./zoho/index.js";

/** Zoho's operations, as the client names them (t2m_zoho_* label values). */
const ZOHO_OPERATIONS = [
  "token",
  "listItems",
  "findContacts",
  "createContact",
  "createSalesOrder",
  "listSalesOrders",
  "getSalesOrder",
  "confirmSalesOrder",
  "bulkConfirmSalesOrders",
  "voidSalesOrder",
] as const satisfies readonly ZohoOperation[];

/** Provisioning's own metrics, on the process's registry. */
export function createProvisioningMetrics(registry: Registry) {
  const registers = [registry];
  const metrics = {
    operations: new Counter({
      name: "t2m_provisioning_operations_total",
      help: "Sales orders, voids and licences, by operation and result (created, replayed, failed; none, voided, flagged)",
      labelNames: ["operation", "result"],
      registers,
    }),
    zohoSeconds: new Histogram({
      name: "t2m_zoho_request_duration_seconds",
      help: "Calls to Zoho (token refresh included), by operation and HTTP status",
      labelNames: ["operation", "status"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
      registers,
    }),
    zohoCalls: new Counter({
      name: "t2m_zoho_calls_total",
      help: "Calls to Zoho by operation and outcome (ok, rejected, rate_limited, unauthorised, server_error, timeout, network_error)",
      labelNames: ["operation", "outcome"],
      registers,
    }),
    budgetWait: new Histogram({
      name: "t2m_zoho_budget_wait_seconds",
      help: "Time a Zoho call waited for the shared call budget, by outcome (granted, exhausted)",
      labelNames: ["outcome"],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 20, 30, 60],
      registers,
    }),
    rateLimitPauses: new Counter({
      name: "t2m_zoho_rate_limit_pauses_total",
      help: "Rate-limit answers from Zoho (HTTP 429 or code 45), each pausing every replica's calls, by operation",
      labelNames: ["operation"],
      registers,
    }),
    pausedUntil: new Gauge({
      name: "t2m_zoho_budget_paused_until_seconds",
      help: "Until when (Unix time) Zoho's call budget is paused after a rate-limit answer, as this replica last saw it; 0 when not paused",
      registers,
    }),
    confirmBatchSize: new Histogram({
      name: "t2m_zoho_confirm_batch_size",
      help: "Sales orders per confirming call to Zoho (1: the single confirm; more: the bulk confirm)",
      buckets: [1, 2, 3, 5, 10, 15, 20, 25],
      registers,
    }),
    integrityErrors: new Counter({
      name: "t2m_integrity_errors_total",
      help: "Zoho answers that clash with another order's records (never retried), by kind",
      labelNames: ["kind"],
      registers,
    }),
    flagged: new Counter({
      name: "t2m_zoho_sales_orders_flagged_total",
      help: "Sales orders of failed orders that Zoho would not void, left for a person",
      registers,
    }),
    subscriptionChanges: new Counter({
      name: "t2m_subscription_changes_total",
      help: "Subscription changes this process made, by kind (ACTIVATED, RENEWED, EXPIRED, REVOKED); the jobs' own are in job_runs",
      labelNames: ["kind"],
      registers,
    }),
    licenceTasksFinished: new Counter({
      name: "t2m_licence_tasks_finished_total",
      help: "Manual licence tasks finished, by state (COMPLETED, FAILED) and by whom (operator; order: its order failed while it waited)",
      labelNames: ["state", "by"],
      registers,
    }),
    licenceTasksWaiting: new Gauge({
      name: "t2m_licence_tasks_waiting",
      help: "Manual licence tasks waiting for an operator (0 unless LICENCE_PROVISIONER=manual), as last read",
      registers,
    }),
    oldestWaitingLicenceTaskAge: new Gauge({
      name: "t2m_licence_task_oldest_waiting_age_seconds",
      help: "Age of the oldest manual licence task waiting for an operator (0 when none), as last read",
      registers,
    }),
  };
  // Series an alert or panel reads with increase()/rate() exist from the start at 0, so their first event is seen.
  for (const [state, by] of [["COMPLETED", "operator"], ["FAILED", "operator"], ["FAILED", "order"]] as const) metrics.licenceTasksFinished.inc({ state, by }, 0);
  metrics.licenceTasksWaiting.set(0);
  metrics.oldestWaitingLicenceTaskAge.set(0);
  metrics.integrityErrors.inc({ kind: "zoho_sales_order_id" }, 0);
  metrics.budgetWait.zero({ outcome: "granted" });
  metrics.budgetWait.zero({ outcome: "exhausted" });
  for (const operation of ZOHO_OPERATIONS) metrics.rateLimitPauses.inc({ operation }, 0);
  return {
    ...metrics,
    /** Feeds the per-request metrics from the Zoho client. */
    onZohoRequest: (e: ZohoRequestEvent) => {
      metrics.zohoSeconds.observe({ operation: e.operation, status: String(e.status) }, e.durationMs / 1000);
      metrics.zohoCalls.inc({ operation: e.operation, outcome: e.outcome });
    },
    onRateLimited: (e: { operation: ZohoOperation }) => metrics.rateLimitPauses.inc({ operation: e.operation }),
    budgetObserver: {
      waited: (ms, outcome) => metrics.budgetWait.observe({ outcome }, ms / 1000),
      pausedUntil: (until) => metrics.pausedUntil.set(until / 1000),
    } satisfies BudgetObserver,
  };
}

export type ProvisioningMetrics = ReturnType<typeof createProvisioningMetrics>;

/**
 * Keeps the manual queue's gauges current: reads when each waiting task was
 * recorded (the working set, by state equality) every `intervalMs`, not on
 * every scrape. Returns what stops it.
 */
export function refreshLicenceQueueMetrics(options: {
  readonly metrics: Pick<ProvisioningMetrics, "licenceTasksWaiting" | "oldestWaitingLicenceTaskAge">;
  readonly waitingSince: () => Promise<Date[]>;
  readonly logger: Logger;
  readonly intervalMs?: number;
}): { refresh(): Promise<void>; stop(): Promise<void> } {
  const refresh = async () => {
    const since = await options.waitingSince();
    const now = Date.now();
    const oldest = since.reduce((min, d) => Math.min(min, d.getTime()), now);
    options.metrics.licenceTasksWaiting.set(since.length);
    options.metrics.oldestWaitingLicenceTaskAge.set(Math.max(0, (now - oldest) / 1000));
  };
  const repeating = repeatEvery(refresh, { intervalMs: options.intervalMs ?? 15_000, logger: options.logger, failure: "could not read licence_tasks for the queue's metrics" });
  return { refresh, stop: () => repeating.stop() };
}
