/** What the pause rules read of an answer's headers (fetch's Headers has it too). */
export interface HeaderReader {
  get(name: string): string | null;
}

/** How long to pause when Zoho says it is over its limit. */
export interface PausePolicy {
  /** When the answer says nothing usable. */
  readonly defaultMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

export const defaultPausePolicy: PausePolicy = { defaultMs: 10_000, minMs: 1_000, maxMs: 120_000 };

/**
 * How long to hold every call after a rate-limit answer: Retry-After
 * (seconds or an HTTP date), else X-Rate-Limit-Reset (seen on Books [T];
 * its unit is undocumented [U], so seconds to wait, epoch seconds and epoch
 * milliseconds are told apart by size), else the default; always clamped
 * to the policy's range, so a strange header neither hammers Zoho nor stops
 * the platform for long.
 */
export function rateLimitPauseMs(headers: HeaderReader, now: number, policy: PausePolicy = defaultPausePolicy): number {
  const wanted = retryAfterMs(headers, now) ?? resetMs(headers.get("x-rate-limit-reset"), now) ?? policy.defaultMs;
  return Math.min(policy.maxMs, Math.max(policy.minMs, wanted));
}

/** Retry-After as milliseconds from now, if the header holds a number of seconds or an HTTP date. */
export function retryAfterMs(headers: HeaderReader, now: number): number | undefined {
  const raw = headers.get("retry-after")?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function resetMs(raw: string | null, now: number): number | undefined {
  const value = Number(raw?.trim() || Number.NaN);
  if (!Number.isFinite(value) || value < 0) return undefined;
  if (value > 1e12) return Math.max(0, value - now);
  if (value > 1e9) return Math.max(0, value * 1000 - now);
  return value * 1000;
}
