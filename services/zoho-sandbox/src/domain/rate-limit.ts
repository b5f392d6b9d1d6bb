import type { Clock } from "./org.js";

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
    const now = this.#now();
    const recent = (this.#calls.get(key) ?? []).filter((at) => at > now - this.#windowMs);
    const allowed = recent.length < this.limit;
    if (allowed) recent.push(now);
    this.#calls.set(key, recent);
    return allowed;
  }

  reset(): void {
    this.#calls.clear();
  }
}
