/**
 * A sliding window of requests in one-second slots: any request counts for
 * the 60 seconds that follow the start of its second. The state is small (at
 * most 60 [second, count] pairs) whatever the limit, so it fits a NATS KV
 * value written by compare-and-set.
 */
export interface WindowState {
  /** [unix second, requests granted in it], oldest first. */
  readonly slots: ReadonlyArray<readonly [number, number]>;
}

export const EMPTY_WINDOW: WindowState = { slots: [] };

/** What one request was told. */
export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Requests left in the window after this one. */
  readonly remaining: number;
  /** Seconds until the oldest counted request leaves the window (RateLimit's t). */
  readonly resetSeconds: number;
  /** When refused: seconds until a request would be allowed. */
  readonly retryAfterSeconds: number;
}

export const WINDOW_SECONDS = 60;

const live = (state: WindowState, nowMs: number): Array<readonly [number, number]> => {
  const nowSecond = Math.floor(nowMs / 1000);
  return state.slots.filter(([second, count]) => second > nowSecond - WINDOW_SECONDS && count > 0);
};

/** Seconds until `second`'s requests leave the window. */
const expiresIn = (second: number, nowMs: number) => Math.max(1, Math.ceil(((second + WINDOW_SECONDS) * 1000 - nowMs) / 1000));

/**
 * Grants up to `wanted` requests at `nowMs` under `limit`: the decisions (in
 * order; the granted ones first) and the new state, or no new state when
 * nothing was granted (a refusal writes nothing: other replicas can only add
 * requests, never take them back, so a full window seen in a stale state is
 * full indeed).
 */
export function take(state: WindowState, wanted: number, limit: number, nowMs: number): { decisions: RateDecision[]; next: WindowState | undefined } {
  const slots = live(state, nowMs);
  const used = slots.reduce((sum, [, count]) => sum + count, 0);
  const granted = Math.max(0, Math.min(wanted, limit - used));
  const nowSecond = Math.floor(nowMs / 1000);
  let nextSlots = slots;
  if (granted > 0) {
    const last = slots.at(-1);
    nextSlots = last && last[0] === nowSecond ? [...slots.slice(0, -1), [nowSecond, last[1] + granted] as const] : [...slots, [nowSecond, granted] as const];
  }
  const oldest = nextSlots[0]?.[0] ?? nowSecond;
  const resetSeconds = expiresIn(oldest, nowMs);
  // A refused request may go once enough of the oldest requests have left the window.
  let retryAfterSeconds = 1;
  if (granted < wanted) {
    let count = used + granted;
    for (const [second, n] of nextSlots) {
      count -= n;
      if (count < limit) {
        retryAfterSeconds = expiresIn(second, nowMs);
        break;
      }
    }
  }
  const decisions: RateDecision[] = [];
  for (let i = 0; i < wanted; i++) {
    const allowed = i < granted;
    decisions.push({ allowed, limit, remaining: allowed ? limit - used - i - 1 : 0, resetSeconds, retryAfterSeconds: allowed ? 0 : retryAfterSeconds });
  }
  return { decisions, next: granted > 0 ? { slots: nextSlots } : undefined };
}
