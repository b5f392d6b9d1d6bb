import { GroupCommit, type KV, type Logger } from "@t2m/platform";
import { Counter, type Registry } from "prom-client";
import { EMPTY_WINDOW, take, type RateDecision, type WindowState } from "../domain/rate-window.js";

export type { RateDecision };

/** Where windows live: compare-and-set on a version. */
export interface WindowStore {
  read(key: string): Promise<{ state: WindowState; version: number }>;
  /** The new version; undefined when the version moved (someone wrote first). */
  write(key: string, state: WindowState, version: number): Promise<number | undefined>;
}

/**
 * The windows in a NATS KV bucket (KvBuckets.gatewayRateLimits), one key per
 * partner, budget and limit, shared by every gateway replica. The bucket's
 * max age (2 minutes) drops windows nobody used lately.
 */
export class KvWindowStore implements WindowStore {
  constructor(private readonly kv: KV) {}

  async read(key: string): Promise<{ state: WindowState; version: number }> {
    const entry = await this.kv.get(key);
    if (!entry) return { state: EMPTY_WINDOW, version: 0 };
    if (entry.operation !== "PUT") return { state: EMPTY_WINDOW, version: entry.revision };
    return { state: decode(entry.string()), version: entry.revision };
  }

  async write(key: string, state: WindowState, version: number): Promise<number | undefined> {
    const value = JSON.stringify({ v: 1, slots: state.slots });
    try {
      return version === 0 ? await this.kv.create(key, value) : await this.kv.update(key, value, version);
    } catch (err) {
      const current = await this.kv.get(key);
      if ((current?.revision ?? 0) !== version) return undefined;
      throw err;
    }
  }
}

function decode(text: string): WindowState {
  try {
    const raw = JSON.parse(text) as { slots?: unknown };
    const slots = Array.isArray(raw.slots)
      ? raw.slots.filter((s): s is [number, number] => Array.isArray(s) && s.length === 2 && Number.isInteger(s[0]) && Number.isInteger(s[1]))
      : [];
    return { slots: slots.sort((a, b) => a[0] - b[0]) };
  } catch {
    return EMPTY_WINDOW;
  }
}

/** Windows in this process only: what the limiter falls back to while NATS KV does not answer. */
export class MemoryWindowStore implements WindowStore {
  private readonly windows = new Map<string, { state: WindowState; version: number }>();
  async read(key: string) {
    return this.windows.get(key) ?? { state: EMPTY_WINDOW, version: 0 };
  }
  async write(key: string, state: WindowState, version: number) {
    if ((this.windows.get(key)?.version ?? 0) !== version) return undefined;
    this.windows.set(key, { state, version: version + 1 });
    return version + 1;
  }
}

/**
 * The shared request budgets. Requests for one window that arrive together
 * are decided together: one compare-and-set grants the batch (group commit),
 * and the last state written is kept, so a replica alone pays one NATS round
 * trip per batch and a refusal pays none (see take()). Should NATS KV not
 * answer, each replica limits on its own until it does (logged and counted).
 */
export class RateLimiter {
  private readonly commits = new Map<string, GroupCommit<number, RateDecision>>();
  private readonly known = new Map<string, { state: WindowState; version: number }>();
  private readonly fallback = new MemoryWindowStore();
  private readonly errors: Counter;
  private lastWarning = 0;

  constructor(
    private readonly store: WindowStore,
    private readonly logger: Logger,
    registry: Registry,
    private readonly clock: () => number = Date.now,
  ) {
    this.errors = new Counter({
      name: "t2m_gateway_rate_limit_store_errors_total",
      help: "Rate-limit decisions made by one replica alone because the shared store (NATS KV) did not answer",
      registers: [registry],
    });
  }

  /** Spends one request of `budget` for the partner, under `limit` per minute. */
  take(partnerId: string, budget: string, limit: number): Promise<RateDecision> {
    const key = `${partnerId}.${budget}.${limit}`;
    let commit = this.commits.get(key);
    if (!commit) {
      commit = new GroupCommit<number, RateDecision>({ maxBatch: 1_000, write: (items) => this.decide(key, items.length, limit) });
      this.commits.set(key, commit);
    }
    return commit.submit(1);
  }

  private async decide(key: string, wanted: number, limit: number): Promise<RateDecision[]> {
    try {
      return await this.decideWith(this.store, key, wanted, limit, true);
    } catch (err) {
      this.errors.inc();
      if (Date.now() - this.lastWarning > 10_000) {
        this.lastWarning = Date.now();
        this.logger.warn({ err }, "rate-limit store unavailable; this replica limits on its own meanwhile");
      }
      return this.decideWith(this.fallback, key, wanted, limit, false);
    }
  }

  private async decideWith(store: WindowStore, key: string, wanted: number, limit: number, cache: boolean): Promise<RateDecision[]> {
    for (let tries = 0; tries < 20; tries++) {
      const current = (cache ? this.known.get(key) : undefined) ?? (await store.read(key));
      const { decisions, next } = take(current.state, wanted, limit, this.clock());
      if (!next) {
        if (cache) this.known.set(key, current);
        return decisions;
      }
      const version = await store.write(key, next, current.version);
      if (version !== undefined) {
        // Kept: the next batch writes on it directly, and reads again only when another replica wrote in between.
        if (cache) this.known.set(key, { state: next, version });
        return decisions;
      }
      this.known.delete(key);
    }
    throw new Error(`rate limit ${key}: too many concurrent writers`);
  }
}
