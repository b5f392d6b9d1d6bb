import type { Logger } from "@t2m/platform";
import type { CallContext } from "./call-budget.js";

/** The Zoho calls confirming takes. */
export interface ConfirmCalls {
  /** Confirms one draft (succeeding when an earlier attempt already confirmed it). */
  confirmOne(salesOrderId: string, ctx: CallContext): Promise<void>;
  /** Confirms several drafts in one call; says which were confirmed. */
  confirmMany(salesOrderIds: readonly string[], ctx: CallContext): Promise<{ confirmed: string[]; unconfirmed: string[] }>;
  /** True when Zoho refused the bulk call itself (not a transient failure or a spent budget): confirm one by one instead. */
  isRefusal(err: unknown): boolean;
}

interface Pending {
  readonly id: string;
  readonly contexts: CallContext[];
  readonly done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

/** The earliest of the priorities (oldest order) and of the deadlines (the most impatient caller). */
function combined(contexts: readonly CallContext[]): CallContext {
  return { priority: Math.min(...contexts.map((c) => c.priority)), deadline: Math.min(...contexts.map((c) => c.deadline)) };
}

/**
 * Confirms sales orders group-commit style: one confirming call in flight
 * per replica; confirmations asked for meanwhile wait and go together in
 * the next call (Zoho's bulk confirm, at most `maxBatch` ids; alone, the
 * single confirm). Ids Zoho does not report confirmed, and every id of a
 * bulk call Zoho refuses, are confirmed one by one. Asking again for an id
 * already waiting or in flight joins it. Each call still goes through the
 * call budget, with the oldest order's priority and the nearest deadline.
 */
export class ConfirmBatcher {
  readonly #calls: ConfirmCalls;
  readonly #maxBatch: number;
  readonly #logger: Logger;
  readonly #onBatch: (size: number) => void;
  readonly #waiting = new Map<string, Pending>();
  readonly #inFlight = new Map<string, Pending>();
  #running = false;

  constructor(options: { calls: ConfirmCalls; logger: Logger; maxBatch?: number; onBatch?: (size: number) => void }) {
    this.#calls = options.calls;
    this.#logger = options.logger;
    this.#maxBatch = options.maxBatch ?? 25;
    this.#onBatch = options.onBatch ?? (() => undefined);
  }

  confirm(salesOrderId: string, ctx: CallContext): Promise<void> {
    const flying = this.#inFlight.get(salesOrderId);
    if (flying) return flying.done;
    let pending = this.#waiting.get(salesOrderId);
    if (!pending) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      pending = { id: salesOrderId, contexts: [], done, resolve, reject };
      this.#waiting.set(salesOrderId, pending);
    }
    pending.contexts.push(ctx);
    void this.#drain();
    return pending.done;
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#waiting.size > 0) {
        const batch = [...this.#waiting.values()]
          .sort((a, b) => combined(a.contexts).priority - combined(b.contexts).priority)
          .slice(0, this.#maxBatch);
        for (const p of batch) {
          this.#waiting.delete(p.id);
          this.#inFlight.set(p.id, p);
        }
        this.#onBatch(batch.length);
        try {
          await this.#send(batch);
        } finally {
          for (const p of batch) this.#inFlight.delete(p.id);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  async #send(batch: readonly Pending[]): Promise<void> {
    const one = (p: Pending) => this.#calls.confirmOne(p.id, combined(p.contexts)).then(p.resolve, p.reject);
    if (batch.length === 1) return one(batch[0]!);
    let unconfirmed: readonly Pending[];
    try {
      const result = await this.#calls.confirmMany(
        batch.map((p) => p.id),
        combined(batch.flatMap((p) => p.contexts)),
      );
      const confirmed = new Set(result.confirmed);
      for (const p of batch) if (confirmed.has(p.id)) p.resolve();
      unconfirmed = batch.filter((p) => !confirmed.has(p.id));
    } catch (err) {
      if (!this.#calls.isRefusal(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      this.#logger.warn({ err, size: batch.length }, "zoho refused a bulk confirmation; confirming one by one");
      unconfirmed = batch;
    }
    await Promise.all(unconfirmed.map(one));
  }
}
