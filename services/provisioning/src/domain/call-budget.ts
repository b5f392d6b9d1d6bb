import {
  cancel,
  concurrencyLimited,
  pause,
  projectSlots,
  prune,
  rateLimited,
  rebook,
  release,
  reserve,
  type BudgetLimits,
  type BudgetState,
} from "./budget.js";

/**
 * Where the shared budget state lives (NATS KV in production): a read with
 * a version, and a compare-and-set write.
 */
export interface BudgetStore {
  /** The state and its version; version 0 means nothing is stored yet. */
  read(): Promise<{ state: BudgetState; version: number }>;
  /** Writes if the stored version is still `version`; false when another writer came first. */
  write(state: BudgetState, version: number): Promise<boolean>;
}

/** Who asks and until when: waiters are served lowest priority first (the order's acceptance time). */
export interface CallContext {
  /** Lower goes first; the order's accepted_at in ms. */
  readonly priority: number;
  /** The latest time (ms since the epoch) the call may start; waiting longer is not worth it. */
  readonly deadline: number;
}

/** The budget cannot fit the call before its deadline. Not a failure: try again after retryAfterMs. */
export class BudgetExhaustedError extends Error {
  override readonly name = "BudgetExhaustedError";
  constructor(
    readonly retryAfterMs: number,
    message = `Zoho's call budget is spent for now; retry in ${Math.ceil(retryAfterMs / 1000)} s`,
  ) {
    super(message);
  }
}

/** The shared budget state could not be read or written (NATS unreachable): a transient failure; try again. */
export class BudgetUnavailableError extends Error {
  override readonly name = "BudgetUnavailableError";
}

/** Turns the store's failures into BudgetUnavailableError, keeping the cause. */
function guarded(store: BudgetStore): BudgetStore {
  const wrap = (err: unknown) => new BudgetUnavailableError(`Zoho's shared call budget is unreachable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  return {
    read: () => store.read().catch((err: unknown) => Promise.reject(wrap(err))),
    write: (state, version) => store.write(state, version).catch((err: unknown) => Promise.reject(wrap(err))),
  };
}

export interface BudgetObserver {
  /** A call waited this long for the budget, and got it or gave up. */
  waited?(ms: number, outcome: "granted" | "exhausted"): void;
  /** The shared budget is paused until this time (ms since the epoch; 0: not paused). */
  pausedUntil?(until: number): void;
}

export interface CallBudgetOptions {
  readonly store: BudgetStore;
  readonly limits: BudgetLimits;
  /** Names this replica's leases, e.g. its hostname and pid. */
  readonly holder: string;
  readonly now?: () => number;
  readonly observer?: BudgetObserver;
  /** How often to look again while every lease is taken (releases elsewhere are not signalled). Default 100 ms. */
  readonly pollMs?: number;
  /** Without a concurrency limit, how many slots this replica reserves ahead of its calls. Default 10. */
  readonly maxReservedAhead?: number;
}

interface Waiter {
  readonly priority: number;
  readonly seq: number;
  readonly deadline: number;
  readonly queuedAt: number;
  resolve(permit: Permit): void;
  reject(err: unknown): void;
}

type PumpOutcome = { kind: "busy"; retryAt: number } | { kind: "late"; at: number } | { kind: "reserved"; at: number; leaseId: string };

interface Permit {
  readonly at: number;
  readonly leaseId: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * One replica's use of the shared Zoho call budget. Calls wait in line by
 * priority (oldest order first); the head of the line reserves the next
 * slot (and a lease, with a concurrency limit) in the shared state with one
 * compare-and-set, then the next head does, so slots are handed out in
 * order and reserved ahead. A call whose slot would come after its deadline
 * is refused at once with BudgetExhaustedError (and how long to wait).
 * Before starting after a wait, a call checks for a pause begun meanwhile
 * and moves its slot past it.
 */
export class CallBudget {
  readonly #store: BudgetStore;
  readonly #limits: BudgetLimits;
  readonly #holder: string;
  readonly #now: () => number;
  readonly #observer: BudgetObserver;
  readonly #pollMs: number;
  readonly #maxReservedAhead: number;
  readonly #queue: Waiter[] = [];
  #seq = 0;
  #leaseSeq = 0;
  #pumping = false;
  /** Permits handed out whose calls have not finished. */
  #outstanding = 0;
  #wakePump: (() => void) | undefined;
  /** The shared state as last read, for projections. */
  #known: BudgetState = { grants: [], leases: [], pausedUntil: 0 };

  constructor(options: CallBudgetOptions) {
    this.#store = guarded(options.store);
    this.#limits = options.limits;
    this.#holder = options.holder;
    this.#now = options.now ?? Date.now;
    this.#observer = options.observer ?? {};
    this.#pollMs = options.pollMs ?? 100;
    this.#maxReservedAhead = options.maxReservedAhead ?? 10;
  }

  get limits(): BudgetLimits {
    return this.#limits;
  }

  /**
   * Waits for the budget, runs `call` (told its slot), and gives the lease
   * back when it ends; unless `keepLease` says otherwise of its failure
   * (e.g. a timeout: Zoho may still be working on the call), in which case
   * the lease runs out on its own.
   */
  async run<T>(ctx: CallContext, call: (slot: number) => Promise<T>, options: { keepLease?: (err: unknown) => boolean } = {}): Promise<T> {
    const started = this.#now();
    let permit: Permit | undefined;
    try {
      permit = rateLimited(this.#limits) || concurrencyLimited(this.#limits) ? await this.#acquire(ctx) : await this.#awaitPause(ctx);
      this.#observer.waited?.(this.#now() - started, "granted");
    } catch (err) {
      if (err instanceof BudgetExhaustedError) this.#observer.waited?.(this.#now() - started, "exhausted");
      throw err;
    }
    let keep = false;
    try {
      return await call(permit.at);
    } catch (err) {
      keep = options.keepLease?.(err) ?? false;
      throw err;
    } finally {
      if (permit.leaseId !== "" && !keep) await this.#release(permit.leaseId);
      this.#outstanding = Math.max(0, this.#outstanding - 1);
      this.#wakePump?.();
    }
  }

  /** Zoho said it is over its limit: no call of any replica starts before `until`. */
  async pause(until: number): Promise<void> {
    await this.#update((state) => ({ state: pause(state, until), result: undefined }));
  }

  /** pause() for `ms` from now, on this budget's clock. */
  async pauseFor(ms: number): Promise<void> {
    await this.pause(this.#now() + ms);
  }

  // ---- with limits: wait in line, reserve, wait for the slot

  async #acquire(ctx: CallContext): Promise<Permit> {
    const now = this.#now();
    // Refuse at once when even a line of reservations with nobody else asking would start too late.
    const position = this.#queue.filter((w) => w.priority <= ctx.priority).length + (concurrencyLimited(this.#limits) ? 0 : this.#outstanding);
    const projected = projectSlots(prune(this.#known, now, this.#limits), now, this.#limits, position + 1).at(-1)!;
    if (projected > ctx.deadline) throw new BudgetExhaustedError(projected - now);

    let permit = await new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { priority: ctx.priority, seq: ++this.#seq, deadline: ctx.deadline, queuedAt: now, resolve, reject };
      const at = this.#queue.findIndex((w) => w.priority > waiter.priority);
      this.#queue.splice(at === -1 ? this.#queue.length : at, 0, waiter);
      const timer = setTimeout(() => {
        const index = this.#queue.indexOf(waiter);
        if (index === -1) return;
        this.#queue.splice(index, 1);
        reject(new BudgetExhaustedError(this.#estimateWait(index)));
      }, Math.max(0, ctx.deadline - now));
      waiter.resolve = (p) => {
        clearTimeout(timer);
        resolve(p);
      };
      waiter.reject = (err) => {
        clearTimeout(timer);
        reject(err);
      };
      void this.#pump();
    });

    // Wait for the slot; a pause begun meanwhile moves it (keeping the lease).
    try {
      while (permit.at > this.#now()) {
        await sleep(permit.at - this.#now());
        const read = await this.#store.read();
        this.#learn(read.state);
        if (read.state.pausedUntil <= permit.at) break;
        const current = permit;
        const moved = await this.#update((state) => {
          const m = rebook(state, this.#now(), this.#limits, current.leaseId, current.at);
          return { state: m.state, result: m.at };
        });
        permit = { ...permit, at: moved };
        if (moved > ctx.deadline) throw new BudgetExhaustedError(moved - this.#now());
      }
    } catch (err) {
      const held = permit;
      await this.#update((state) => ({ state: cancel(state, held.leaseId, held.at), result: undefined })).catch(() => undefined);
      this.#outstanding = Math.max(0, this.#outstanding - 1);
      this.#wakePump?.();
      throw err;
    }
    return permit;
  }

  /** Serves the line: the head reserves, then the next, while leases (or the cap on reservations ahead) allow. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0]!;
        if (!concurrencyLimited(this.#limits) && this.#outstanding >= this.#maxReservedAhead) {
          await this.#waitForWake(this.#pollMs);
          continue;
        }
        let outcome: PumpOutcome | undefined;
        try {
          const leaseId = concurrencyLimited(this.#limits) ? `${this.#holder}:${++this.#leaseSeq}` : "";
          outcome = await this.#update<PumpOutcome | undefined>((state) => {
            const now = this.#now();
            const r = reserve(state, now, this.#limits, leaseId);
            if (r.kind === "busy") return { state: undefined, result: r };
            // The head may have given up while we read.
            if (this.#queue[0] !== head) return { state: undefined, result: undefined };
            if (r.at > head.deadline) return { state: undefined, result: { kind: "late" as const, at: r.at } };
            return { state: r.state, result: { kind: "reserved" as const, at: r.at, leaseId } };
          });
        } catch (err) {
          // The store is unreachable: the head cannot be served now.
          this.#remove(head)?.reject(err);
          continue;
        }
        if (outcome === undefined) continue;
        if (outcome.kind === "busy") {
          await this.#waitForWake(Math.min(this.#pollMs, outcome.retryAt - this.#now()));
          continue;
        }
        if (outcome.kind === "late") {
          this.#remove(head)?.reject(new BudgetExhaustedError(outcome.at - this.#now()));
          continue;
        }
        if (!this.#remove(head)) {
          // It gave up after we reserved: give the slot back.
          const { leaseId, at } = outcome;
          await this.#update((state) => ({ state: cancel(state, leaseId, at), result: undefined })).catch(() => undefined);
          continue;
        }
        this.#outstanding++;
        head.resolve({ at: outcome.at, leaseId: outcome.leaseId });
      }
    } finally {
      this.#pumping = false;
    }
  }

  #remove(waiter: Waiter): Waiter | undefined {
    const index = this.#queue.indexOf(waiter);
    if (index === -1) return undefined;
    this.#queue.splice(index, 1);
    return waiter;
  }

  #waitForWake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(1, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakePump = () => {
        this.#wakePump = undefined;
        done();
      };
    });
  }

  /** How long a waiter at `position` in line would still wait, as far as this replica knows. */
  #estimateWait(position: number): number {
    const now = this.#now();
    const slot = projectSlots(prune(this.#known, now, this.#limits), now, this.#limits, position + 1 + this.#outstanding).at(-1)!;
    return Math.max(1_000, slot - now);
  }

  async #release(leaseId: string): Promise<void> {
    try {
      await this.#update((state) => ({ state: release(state, leaseId), result: undefined }));
    } catch {
      // The lease frees itself when it expires.
    }
  }

  // ---- without limits: only a pause can hold a call back

  async #awaitPause(ctx: CallContext): Promise<Permit> {
    const { state } = await this.#store.read();
    this.#learn(state);
    const now = this.#now();
    if (state.pausedUntil > ctx.deadline) throw new BudgetExhaustedError(state.pausedUntil - now);
    if (state.pausedUntil > now) await sleep(state.pausedUntil - now);
    this.#outstanding++;
    return { at: Math.max(now, state.pausedUntil), leaseId: "" };
  }

  /**
   * Read, change, compare-and-set, until the write lands. `change` sees the
   * pruned state and says what to write (undefined: nothing) and what to
   * return.
   */
  async #update<R>(change: (state: BudgetState) => { state: BudgetState | undefined; result: R }): Promise<R> {
    for (;;) {
      const read = await this.#store.read();
      const state = prune(read.state, this.#now(), this.#limits);
      this.#learn(state);
      const { state: next, result } = change(state);
      if (next === undefined) return result;
      if (await this.#store.write(next, read.version)) {
        this.#learn(next);
        return result;
      }
    }
  }

  /** Keeps the state last seen, and tells the observer when the pause it shows changes. */
  #learn(state: BudgetState): void {
    const pausedUntil = state.pausedUntil > this.#now() ? state.pausedUntil : 0;
    const before = this.#known.pausedUntil > this.#now() ? this.#known.pausedUntil : 0;
    this.#known = state;
    if (pausedUntil !== before) this.#observer.pausedUntil?.(pausedUntil);
  }
}

/** A BudgetStore in this process only: for tests, and for one replica on its own. */
export class InMemoryBudgetStore implements BudgetStore {
  #state: BudgetState = { grants: [], leases: [], pausedUntil: 0 };
  #version = 0;
  writes = 0;

  async read(): Promise<{ state: BudgetState; version: number }> {
    return { state: this.#state, version: this.#version };
  }

  async write(state: BudgetState, version: number): Promise<boolean> {
    if (version !== this.#version) return false;
    this.#state = state;
    this.#version++;
    this.writes++;
    return true;
  }

  get state(): BudgetState {
    return this.#state;
  }
}
