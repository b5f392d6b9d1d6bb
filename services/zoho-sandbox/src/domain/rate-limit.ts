import type { Clock } from "./org.js";

/** What the X-Rate-Limit-* headers say after a call. */
export interface RateLimitStatus {
  readonly limit: number;
  /** Calls still allowed in the current window. */
  readonly remaining: number;
  /** Seconds until the oldest call in the window leaves it (and one more call is allowed); 0 when none is in it. */
  readonly resetSeconds: number;
}

/**
 * At most `limit` calls per key in any sliding window of `windowMs`
 * (Zoho Inventory: 100 requests per minute per organisation [T]; whether
 * Zoho's window slides or is fixed is undocumented). A limit of 0 turns it off.
 */
export class SlidingWindowRateLimiter {
  readonly limit: number;
  readonly #windowMs: number;
  readonly #now: Clock;
  readonly #calls = new Map<string, number[]>();

  constructor(options: { limit: number; windowMs: number; now: Clock }) {
    this.limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#now = options.now;
  }

  /** Counts the call and says whether it is within the limit; refused calls do not count. */
  tryAcquire(key: string): boolean {
    if (this.limit === 0) return true;
    const recent = this.#recent(key);
    const allowed = recent.length < this.limit;
    if (allowed) recent.push(this.#now());
    this.#calls.set(key, recent);
    return allowed;
  }

  /** The window as it stands for `key`; undefined when the limit is off. */
  status(key: string): RateLimitStatus | undefined {
    if (this.limit === 0) return undefined;
    const recent = this.#recent(key);
    const oldest = recent[0];
    const resetMs = oldest === undefined ? 0 : oldest + this.#windowMs - this.#now();
    return { limit: this.limit, remaining: Math.max(0, this.limit - recent.length), resetSeconds: Math.max(0, Math.ceil(resetMs / 1000)) };
  }

  reset(): void {
    this.#calls.clear();
  }

  #recent(key: string): number[] {
    const now = this.#now();
    return (this.#calls.get(key) ?? []).filter((at) => at > now - this.#windowMs);
  }
}

/**
 * At most `limit` calls per key in flight at once (Zoho Inventory: 10 on
 * paid plans, 5 on the free one [T]). A limit of 0 turns it off. The
 * sandbox counts a call from its admission until its answer is sent.
 */
export class ConcurrencyLimiter {
  readonly limit: number;
  readonly #inFlight = new Map<string, number>();
  #peak = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Takes a place if one is free; the caller must release() it once answered. */
  tryAcquire(key: string): boolean {
    const current = this.#inFlight.get(key) ?? 0;
    if (this.limit !== 0 && current >= this.limit) return false;
    this.#inFlight.set(key, current + 1);
    this.#peak = Math.max(this.#peak, current + 1);
    return true;
  }

  release(key: string): void {
    const current = this.#inFlight.get(key) ?? 0;
    if (current <= 1) this.#inFlight.delete(key);
    else this.#inFlight.set(key, current - 1);
  }

  inFlight(key: string): number {
    return this.#inFlight.get(key) ?? 0;
  }

  /** The most calls ever in flight at once for any key since the last reset. */
  get peak(): number {
    return this.#peak;
  }

  /** Forgets the peak; calls still in flight keep their places. */
  resetPeak(): void {
    this.#peak = Math.max(0, ...this.#inFlight.values());
  }
}
