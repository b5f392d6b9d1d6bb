import type { Logger } from "@t2m/platform";
import { request } from "undici";
import { isRateLimitAnswer, ZohoApiError, type ZohoOperation } from "./errors.js";

/** The part of an HTTP answer the client reads; the global fetch's Response has it too, so tests may pass fetch. */
export interface ZohoResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** How the client sends one request (fetch-shaped, so tests can wrap the global fetch). */
export type ZohoFetch = (url: URL, init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<ZohoResponse>;

/**
 * The default transport: undici's request(), which costs a fraction of
 * fetch's CPU and garbage (no WHATWG streams or Request/Response objects).
 */
export const undiciFetch: ZohoFetch = async (url, init) => {
  const res = await request(url, { method: (init.method ?? "GET") as "GET", headers: init.headers, body: init.body, signal: init.signal });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: {
      get: (name) => {
        const value = res.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    text: async () => text,
  };
};

/** How one call to Zoho ended, for metrics. */
export type ZohoCallOutcome = "ok" | "rejected" | "rate_limited" | "unauthorised" | "server_error" | "timeout" | "network_error";

/** One HTTP exchange with Zoho, reported after it ends (for metrics). */
export interface ZohoRequestEvent {
  readonly operation: ZohoOperation;
  /** The HTTP status, or what happened instead of an answer. */
  readonly status: number | "timeout" | "network-error";
  readonly outcome: ZohoCallOutcome;
  readonly durationMs: number;
}

export interface ZohoExchange {
  readonly status: number;
  readonly headers: ZohoResponse["headers"];
  /** The parsed body, or undefined when it was not JSON (e.g. a proxy's error page). */
  readonly json: unknown;
}

/** The outcome of an answer: Zoho's envelope (code 0) or the token's, rate limits, refusals, failures. */
export function outcomeOf(status: number, json: unknown): ZohoCallOutcome {
  const body = typeof json === "object" && json !== null ? (json as Record<string, unknown>) : undefined;
  const code = typeof body?.code === "number" ? body.code : undefined;
  if (isRateLimitAnswer(status, code)) return "rate_limited";
  if (status === 401) return "unauthorised";
  if (status >= 500) return "server_error";
  if (status >= 200 && status <= 299 && (code === 0 || (code === undefined && body !== undefined && !("error" in body)))) return "ok";
  return "rejected";
}

export interface ZohoHttpOptions {
  readonly fetch: ZohoFetch;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly onRequest?: (event: ZohoRequestEvent) => void;
}

/**
 * Sends one request under a timeout that covers the body too, and turns
 * "no answer" into a retryable ZohoApiError. Only the path is logged: the
 * query may hold a customer's email, and headers and bodies may hold secrets.
 */
export async function exchange(
  options: ZohoHttpOptions,
  operation: ZohoOperation,
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<ZohoExchange> {
  const started = performance.now();
  const report = (status: ZohoRequestEvent["status"], outcome: ZohoCallOutcome) => {
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    options.logger.debug({ operation, method: init.method, path: url.pathname, status, outcome, durationMs }, "zoho request");
    options.onRequest?.({ operation, status, outcome, durationMs });
  };
  try {
    const response = await options.fetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs) });
    const text = await response.text();
    const json = parseJson(text);
    report(response.status, outcomeOf(response.status, json));
    return { status: response.status, headers: response.headers, json };
  } catch (err) {
    const timedOut = err instanceof DOMException && (err.name === "TimeoutError" || err.name === "AbortError");
    report(timedOut ? "timeout" : "network-error", timedOut ? "timeout" : "network_error");
    throw new ZohoApiError({
      operation,
      kind: timedOut ? "timeout" : "network",
      retryable: true,
      message: timedOut
        ? `Zoho ${operation} timed out after ${options.timeoutMs} ms`
        : `Zoho ${operation} could not reach ${url.host}: ${causeOf(err)}`,
      cause: err,
    });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** fetch's own message is "fetch failed"; the reason (ECONNREFUSED, …) sits in its cause. */
function causeOf(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = (cause as { code?: unknown }).code;
  return typeof code === "string" ? code : cause instanceof Error ? cause.message : String(cause);
}
