import type { Logger } from "pino";
import type { OrderAnnouncer } from "./announcer.js";
import type { OrderStore } from "./order-store.js";

export interface RelayOptions {
  readonly intervalMs: number;
  /** Only orders at least this old are picked up, so the request that stored them can publish first. */
  readonly graceMs: number;
  readonly batchSize: number;
}

/**
 * The outbox relay: the order document is the outbox. Any order whose event
 * is not marked published (the process died between storing and publishing,
 * or NATS was down) is published again here; the deterministic message id
 * keeps the stream from holding it twice.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: OrderStore,
    private readonly announcer: OrderAnnouncer,
    private readonly logger: Logger,
    private readonly options: RelayOptions,
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.runOnce()
        .then(() => undefined)
        .catch((err: unknown) => this.logger.error({ err }, "outbox relay pass failed"))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    this.timer = setTimeout(tick, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass; returns how many events were published. */
  async runOnce(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.options.graceMs);
    let published = 0;
    for (const order of await this.store.findUnannouncedSubmissions(before, this.options.batchSize)) {
      await this.announcer.announceSubmitted(order);
      published += 1;
    }
    for (const order of await this.store.findUnannouncedOutcomes(before, this.options.batchSize)) {
      await this.announcer.announceOutcome(order);
      published += 1;
    }
    if (published > 0) this.logger.info({ published }, "outbox relay published missed events");
    return published;
  }
}
