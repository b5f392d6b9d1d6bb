/** What the receiver did with one attempt. */
export interface AttemptResult {
  /** HTTP status; undefined when no response came (network error, timeout). */
  readonly status?: number;
  /** Seconds from a Retry-After header, when one was sent. */
  readonly retryAfterSeconds?: number;
}

export type AttemptDecision =
  | { readonly kind: "delivered" }
  | { readonly kind: "retry"; readonly delayMs: number }
  | { readonly kind: "give-up"; readonly reason: string };

/** The seed's schedule: 30 s, 2 min, 5 min, 10 min, 20 min; then the message is failed. */
export const DEFAULT_RETRY_DELAYS_MS = [30_000, 120_000, 300_000, 600_000, 1_200_000];

const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Decides what follows attempt number `attempt` (1-based). Any 2xx is
 * delivered; 410 Gone means the endpoint was removed, so retrying is
 * pointless; everything else (3xx included, as Standard Webhooks says) is
 * retried on the schedule, waiting longer when the receiver asks to.
 */
export function decideAfterAttempt(attempt: number, result: AttemptResult, schedule: readonly number[]): AttemptDecision {
  if (result.status !== undefined && result.status >= 200 && result.status < 300) return { kind: "delivered" };
  if (result.status === 410) return { kind: "give-up", reason: "the endpoint answered 410 Gone" };
  const delay = schedule[attempt - 1];
  if (delay === undefined) return { kind: "give-up", reason: `no success after ${attempt} attempts` };
  const asked = result.retryAfterSeconds !== undefined ? Math.min(result.retryAfterSeconds * 1000, MAX_RETRY_AFTER_MS) : 0;
  return { kind: "retry", delayMs: Math.max(delay, asked) };
}

/** Retry-After as seconds (delta or HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}
