/** Exponential backoff: initialMs, then × multiplier each attempt, capped at maxMs, with ± jitter. */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Default 2. */
  readonly multiplier?: number;
  /** Fraction of the delay to spread it by, both ways (0.2 = ±20 %). Default 0. */
  readonly jitter?: number;
}

/** The delay before attempt `attempt + 1`, after `attempt` (1-based) failed. */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const raw = Math.min(backoff.maxMs, backoff.initialMs * (backoff.multiplier ?? 2) ** Math.max(0, attempt - 1));
  const jitter = backoff.jitter ?? 0;
  return Math.max(0, Math.round(raw * (1 + jitter * (2 * random() - 1))));
}

/** Redelivery of a message whose handler threw unexpectedly: 1 s, 2 s, 4 s … capped at 60 s. */
export const unexpectedErrorBackoff: Backoff = { initialMs: 1_000, maxMs: 60_000, jitter: 0.2 };
