import type { EventBus, Logger } from "@t2m/platform";
import { Consumers } from "@t2m/topology";
import { planSweep, type SweepPlan, type SweepSettings } from "./domain/sweep.js";
import type { OrderAnnouncer } from "./adapters/announcer.js";
import type { OrderStore } from "./adapters/order-store.js";
import type { FulfilmentMetrics } from "./metrics.js";

export interface SchedulerOptions extends SweepSettings {
  readonly sweepIntervalMs: number;
}

/**
 * Publishes due retries and re-drives stuck orders. A retry scheduled by this
 * process is published by a local timer when due; the periodic sweep covers
 * retries of processes that died, OrderSubmitted events lost to a crash
 * between storing and publishing, and orders that stopped moving. Every replica sweeps: the
 * messages' deterministic ids make a repeat within the stream's duplicate
 * window a no-op, and an attempt is claimed once whatever arrives twice.
 */
export class OrderScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly store: OrderStore,
    private readonly announcer: OrderAnnouncer,
    private readonly events: EventBus,
    private readonly metrics: FulfilmentMetrics,
    private readonly logger: Logger,
    private readonly options: SchedulerOptions,
  ) {}

  start(): void {
    const tick = () => {
      this.sweeping = this.sweepOnce()
        .catch((err: unknown) => this.logger.error({ err }, "order sweep failed"))
        .finally(() => {
          if (!this.stopped) this.sweepTimer = setTimeout(tick, this.options.sweepIntervalMs);
        });
    };
    this.sweepTimer = setTimeout(tick, Math.min(1_000, this.options.sweepIntervalMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.sweepTimer);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.sweeping;
  }

  /** Publishes the retry from this process when it is due. */
  retryAt(orderId: string, attempt: number, dueAt: Date): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(orderId));
    const timer = setTimeout(
      () => {
        this.timers.delete(orderId);
        this.announcer
          .announceRetryDue(orderId, attempt, "retry", dueAt)
          .catch((err: unknown) => this.logger.warn({ err, orderId }, "retry not published; the sweep will publish it"));
      },
      Math.max(0, dueAt.getTime() - Date.now()),
    );
    this.timers.set(orderId, timer);
  }

  /** One pass; returns what it decided. */
  async sweepOnce(now = new Date()): Promise<SweepPlan> {
    const [orders, submitted, retries] = await Promise.all([
      this.store.unfinished(500),
      this.events.consumerState(Consumers.fulfilmentSubmitted),
      this.events.consumerState(Consumers.fulfilmentRetries),
    ]);
    const plan = planSweep(now, orders, { submitted, retries }, this.options);
    const bucket = Math.floor(now.getTime() / this.options.stuckAfterMs);
    for (const action of plan.actions) {
      switch (action.kind) {
        case "retry-due":
          await this.announcer.announceRetryDue(action.orderId, action.attempt, "retry", action.dueAt);
          break;
        case "redrive":
          this.logger.warn({ orderId: action.orderId, attempt: action.attempt, reason: action.reason }, "re-driving a stuck order");
          await this.announcer.announceRetryDue(action.orderId, action.attempt, "redrive", now, bucket);
          break;
      }
      this.metrics.sweepActions.inc({ action: action.kind });
    }
    const ageSeconds = plan.oldestUnfinishedAt ? (now.getTime() - plan.oldestUnfinishedAt.getTime()) / 1000 : 0;
    this.metrics.oldestUnfinishedAge.set(Math.max(0, ageSeconds));
    // PENDING is read oldest first up to a limit, so a long queue shows as at least that many.
    this.metrics.unfinishedOrders.set({ status: "PENDING" }, orders.filter((o) => o.status === "PENDING").length);
    this.metrics.unfinishedOrders.set({ status: "PROCESSING" }, orders.filter((o) => o.status === "PROCESSING").length);
    this.metrics.lastSweep.set(Date.now() / 1000);
    return plan;
  }
}
