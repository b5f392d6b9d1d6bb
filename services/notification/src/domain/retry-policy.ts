/** What the receiver did with one attempt. */
export interface AttemptResult {
  /** HTTP status; undefined when no response came (network error, timeout). */
  readonly status?: number;
  /** Seconds from a Retry-After header, when one was sent. */
  readonly retryAfterSeconds?: number;
  /** True when the attempt hit its time limit (WEBHOOK_TIMEOUT_MS). */
  readonly timedOut?: boolean;
}

export type AttemptDecision =
  | { readonly kind: "delivered" }
  | { readonly kind: "retry"; readonly delayMs: number }
  | { readonly kind: "dead"; readonly reason: string; readonly endpointGone: boolean };

/** The seed's schedule: 30 s, 2 min, 5 min, 10 min, 20 min between attempts; then the message is dead. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [30_000, 120_000, 300_000, 600_000, 1_200_000];

/** When a failed message is tried again. */
export interface RetrySchedule {
  /** Delays between attempts (WEBHOOK_RETRY_DELAYS_MS); one retry per entry, then dead. */
  readonly delaysMs: readonly number[];
  /** Per event type, instead of delaysMs (WEBHOOK_RETRY_DELAYS_BY_TYPE). */
  readonly delaysByType: Readonly<Record<string, readonly number[]>>;
  /** Each delay is spread by this fraction both ways (0.2 = ±20 %), so failures do not retry in lockstep. */
  readonly jitter: number;
  /** After a 429 or a timeout the next attempt waits at least this long (Svix: 60 s). */
  readonly throttleFloorMs: number;
  /** Retry-After is honoured up to this long; a longer ask is clamped to it. */
  readonly retryAfterMaxMs: number;
}

export const defaultRetrySchedule: RetrySchedule = {
  delaysMs: DEFAULT_RETRY_DELAYS_MS,
  delaysByType: {},
  jitter: 0.2,
  throttleFloorMs: 60_000,
  retryAfterMaxMs: 3_600_000,
};

export const delaysFor = (schedule: RetrySchedule, eventType: string): readonly number[] => schedule.delaysByType[eventType] ?? schedule.delaysMs;

/**
 * Decides what follows attempt `attemptInChain` (1-based, counted from the
 * start of the current chain: a replay starts a new chain). Any 2xx is
 * delivered; 410 Gone means the endpoint was removed, so the message is dead
 * and the endpoint disabled; everything else (3xx included, as Standard
 * Webhooks says) is retried on the schedule with jitter, no sooner than the
 * throttle floor after a 429 or a timeout, and no sooner than Retry-After
 * asks, clamped to retryAfterMaxMs.
 */
export function decideAfterAttempt(
  attemptInChain: number,
  result: AttemptResult,
  eventType: string,
  schedule: RetrySchedule,
  random: () => number = Math.random,
): AttemptDecision {
  if (result.status !== undefined && result.status >= 200 && result.status < 300) return { kind: "delivered" };
  if (result.status === 410) return { kind: "dead", reason: "the endpoint answered 410 Gone", endpointGone: true };
  const delays = delaysFor(schedule, eventType);
  const base = delays[attemptInChain - 1];
  if (base === undefined) return { kind: "dead", reason: `no success after ${attemptInChain} attempts`, endpointGone: false };
  let delayMs = Math.max(0, Math.round(base * (1 + schedule.jitter * (2 * random() - 1))));
  if (result.status === 429 || result.timedOut) delayMs = Math.max(delayMs, schedule.throttleFloorMs);
  if (result.retryAfterSeconds !== undefined) delayMs = Math.max(delayMs, Math.min(result.retryAfterSeconds * 1000, schedule.retryAfterMaxMs));
  return { kind: "retry", delayMs };
}

/** Retry-After as seconds (delta or HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}

/**
 * WEBHOOK_RETRY_DELAYS_BY_TYPE: `TYPE=ms,ms,…` entries separated by `;`,
 * e.g. `ORDER_FAILED=10000,60000;ORDER_FULFILLED=30000,120000,300000`.
 */
export function parseDelaysByType(raw: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const entry of raw.split(";").map((e) => e.trim()).filter(Boolean)) {
    const match = /^([A-Z][A-Z0-9_]*)\s*=\s*(\d+(?:\s*,\s*\d+)*)$/.exec(entry);
    if (!match) throw new Error(`"${entry}" is not TYPE=ms,ms,…`);
    out[match[1]!] = match[2]!.split(",").map((v) => Number(v.trim()));
  }
  return out;
}
