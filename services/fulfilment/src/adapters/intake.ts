import { GroupCommit, type Logger } from "@t2m/platform";
import { keyExpired, resolveClash } from "../domain/accept-order.js";
import type { OrderRecord } from "../domain/order.js";
import type { OrderAnnouncer } from "./announcer.js";
import type { OrderStore } from "./order-store.js";

export interface AcceptedOrder {
  readonly order: OrderRecord;
  /** True when the key had been seen before: nothing new was stored. */
  readonly duplicate: boolean;
}

/**
 * Stores accepted orders the fast way: orders arriving together go into one
 * insertMany (group commit), with no read before the write; then each is
 * announced. Only a clash (a replayed key, a reused order id) reads what is
 * stored, once per key however many requests share it.
 */
export class OrderIntake {
  private readonly commit: GroupCommit<OrderRecord, "inserted" | "duplicate">;
  private readonly lookups = new Map<string, Promise<OrderRecord | undefined>>();
  /** Stored orders whose OrderSubmitted could not be published yet (NATS down); retried every second. */
  private readonly unannounced = new Map<string, OrderRecord>();
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: OrderStore,
    private readonly announcer: OrderAnnouncer,
    private readonly logger: Logger,
    private readonly options: { maxBatch: number; onBatch?: (size: number) => void; keyRetentionMs: number; clock?: () => Date },
  ) {
    this.commit = new GroupCommit({
      maxBatch: options.maxBatch,
      write: (orders) => this.write(orders),
      onBatch: (size) => options.onBatch?.(size),
    });
  }

  async accept(order: OrderRecord): Promise<AcceptedOrder> {
    let released = false;
    while ((await this.commit.submit(order)) === "duplicate") {
      const stored = await this.storedUnderKey(order.idempotencyKey);
      // A key past its retention, whose order is finished, is released once and the insert tried again.
      if (released || !stored || !keyExpired(stored, order, this.options.clock?.() ?? new Date(), this.options.keyRetentionMs)) {
        return { order: resolveClash(order, stored), duplicate: true };
      }
      this.logger.info({ orderId: stored.orderId, newOrderId: order.orderId }, "idempotency key past its retention reused for a new order; released");
      await this.store.releaseKey(stored, this.options.clock?.() ?? new Date());
      released = true;
    }
    try {
      await this.announcer.announceSubmitted(order);
    } catch (err) {
      // The order is stored: it is accepted. Publishing is retried here, and
      // should this process die first, the sweeper re-drives the order.
      this.logger.warn({ err, orderId: order.orderId }, "OrderSubmitted not published yet; retrying in the background");
      this.unannounced.set(order.orderId, order);
      this.retryTimer ??= setTimeout(() => void this.republish(), 1_000);
    }
    return { order, duplicate: false };
  }

  /** Orders accepted whose OrderSubmitted is still waiting to be published. */
  get waitingToAnnounce(): number {
    return this.unannounced.size;
  }

  stop(): void {
    clearTimeout(this.retryTimer);
  }

  private async republish(): Promise<void> {
    for (const order of [...this.unannounced.values()]) {
      try {
        await this.announcer.announceSubmitted(order);
        this.unannounced.delete(order.orderId);
      } catch {
        break;
      }
    }
    this.retryTimer = this.unannounced.size > 0 ? setTimeout(() => void this.republish(), 1_000) : undefined;
    if (this.unannounced.size === 0) this.logger.info("every accepted order is published again");
  }

  /** Inserts the batch; a second order with a key or id already in the batch waits for the first's result. */
  private async write(orders: readonly OrderRecord[]): Promise<Array<"inserted" | "duplicate">> {
    const keys = new Set<string>();
    const ids = new Set<string>();
    const unique: OrderRecord[] = [];
    const position: number[] = [];
    for (const order of orders) {
      if (keys.has(order.idempotencyKey) || ids.has(order.orderId)) {
        position.push(-1);
        continue;
      }
      keys.add(order.idempotencyKey);
      ids.add(order.orderId);
      position.push(unique.length);
      unique.push(order);
    }
    const stored = await this.store.insertMany(unique);
    return position.map((p) => (p === -1 ? "duplicate" : stored[p]!));
  }

  private storedUnderKey(key: string): Promise<OrderRecord | undefined> {
    let lookup = this.lookups.get(key);
    if (!lookup) {
      lookup = this.store.findByIdempotencyKey(key).finally(() => this.lookups.delete(key));
      this.lookups.set(key, lookup);
    }
    return lookup;
  }
}
