/**
 * The "answer the next K webhooks with status N" rule, for retry tests.
 * Pure: the HTTP app asks it what to answer each verified delivery.
 */

export interface PlannedResponse {
  readonly status: number;
  /** Sent as a Retry-After header (seconds) with each planned answer, when set. */
  readonly retryAfter?: number;
  /** How many more deliveries get this status. */
  readonly remaining: number;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface ResponseRule {
  readonly status: number;
  readonly times: number;
  readonly retryAfter?: number;
}

export const MAX_TIMES = 10_000;

/** Validates `{status, times}` from a request body. `times` defaults to 1. */
export function parseResponseRule(input: unknown): ValidationResult<ResponseRule> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, error: 'body must be a JSON object such as {"status": 503, "times": 2}' };
  }
  const { status, times = 1, retryAfter, ...rest } = input as Record<string, unknown>;
  const unknownKeys = Object.keys(rest);
  if (unknownKeys.length > 0) return { ok: false, error: `unknown field(s): ${unknownKeys.join(", ")}; expected status, times and retryAfter` };
  if (typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 599) {
    return { ok: false, error: "status must be an integer HTTP status from 200 to 599" };
  }
  if (typeof times !== "number" || !Number.isInteger(times) || times < 1 || times > MAX_TIMES) {
    return { ok: false, error: `times must be an integer from 1 to ${MAX_TIMES}` };
  }
  if (retryAfter !== undefined && (typeof retryAfter !== "number" || !Number.isInteger(retryAfter) || retryAfter < 0)) {
    return { ok: false, error: "retryAfter must be a whole number of seconds (0 or more)" };
  }
  return { ok: true, value: { status, times, ...(retryAfter === undefined ? {} : { retryAfter }) } };
}

/** Holds at most one rule; setting a new one replaces what is left of the old. */
export class ResponsePlan {
  private current: PlannedResponse | undefined;

  set(rule: ResponseRule): PlannedResponse {
    this.current = { status: rule.status, remaining: rule.times, ...(rule.retryAfter === undefined ? {} : { retryAfter: rule.retryAfter }) };
    return this.current;
  }

  /** The planned answer for the next delivery (status and Retry-After), consuming one use. */
  takeResponse(): { status: number; retryAfter?: number } | undefined {
    const current = this.current;
    const status = this.take();
    if (status === undefined || !current) return undefined;
    return current.retryAfter === undefined ? { status } : { status, retryAfter: current.retryAfter };
  }

  /** The status for the next delivery, consuming one use; undefined means "answer normally". */
  take(): number | undefined {
    if (!this.current) return undefined;
    const { remaining } = this.current;
    const status = this.current.status;
    this.current = remaining > 1 ? { ...this.current, remaining: remaining - 1 } : undefined;
    return status;
  }

  peek(): PlannedResponse | undefined {
    return this.current;
  }

  reset(): void {
    this.current = undefined;
  }
}
