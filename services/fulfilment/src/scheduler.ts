import { repeatEvery, type EventBus, type Logger, type Repeating } from "@t2m/platform";
import { Consumers } from "@t2m/topology";
import { planSweep, type SweepPlan, type SweepSettings } from "./domain/sweep.js";
import type { OrderAnnouncer } from "./adapters/announcer.js";
import type { OrderStore } from "./adapters/order-store.js";
import type { FulfilmentMetrics } from "./metrics.js";

export interface SchedulerOptions extends SweepSettings {
  /** Due retries and abandoned attempts (PROCESSING orders) are swept this often. */
  readonly sweepIntervalMs: number;
  /**
   * PENDING orders are swept once every this many passes: they are the queue,
   * possibly long, and FerretDB reads all of them to sort (only MongoDB uses
   * the status index), while a lost OrderSubmitted only needs catching within
   * minutes.
   */
  readonly pendingEveryPasses: number;
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
  private sweeps: Repeating | undefined;
  private stopped = false;
  private passes = 0;
  /** The oldest PENDING order at the last PENDING sweep (read oldest first). */
  private pendingOldest: Date | undefined;

  constructor(
    private readonly store: OrderStore,
    private readonly announcer: OrderAnnouncer,
    private readonly events: EventBus,
    private readonly metrics: FulfilmentMetrics,
    private readonly logger: Logger,
    private readonly options: SchedulerOptions,
  ) {}

  start(): void {
    this.sweeps = repeatEvery(() => this.sweepOnce(), {
      intervalMs: this.options.sweepIntervalMs,
      firstDelayMs: Math.min(1_000, this.options.sweepIntervalMs),
      logger: this.logger,
      failure: "order sweep failed",
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.sweeps?.stop();
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
    const withPending = this.passes++ % this.options.pendingEveryPasses === 0;
    const [pending, processing, submitted, retries] = await Promise.all([
      withPending ? this.store.withStatus("PENDING", 500) : Promise.resolve(undefined),
      this.store.withStatus("PROCESSING", 0),
      this.events.consumerState(Consumers.fulfilmentSubmitted),
      this.events.consumerState(Consumers.fulfilmentRetries),
    ]);
    if (pending) this.pendingOldest = pending[0]?.createdAt;
    const orders = [...(pending ?? []), ...processing];
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
    const oldest = [plan.oldestUnfinishedAt, this.pendingOldest].filter((d): d is Date => d !== undefined).sort((a, b) => a.getTime() - b.getTime())[0];
    this.metrics.oldestUnfinishedAge.set(oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0);
    // PENDING is read oldest first up to a limit, so a long queue shows as at least that many.
    if (pending) this.metrics.unfinishedOrders.set({ status: "PENDING" }, pending.length);
    this.metrics.unfinishedOrders.set({ status: "PROCESSING" }, processing.length);
    this.metrics.lastSweep.set(Date.now() / 1000);
    return plan;
  }
}
