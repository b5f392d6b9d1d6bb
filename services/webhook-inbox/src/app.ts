import type { IncomingHttpHeaders, IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Logger } from "@t2m/platform";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { headerTimestamp, parseBody, type InboxFilter, type InboxMessage, type InboxStore } from "./domain/inbox.js";
import { parseResponseRule, type ResponsePlan } from "./domain/responses.js";

/** Standard Webhooks asks senders to stay well under this; anything bigger is refused. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;
/** An oversized body is read (and dropped) up to this much so the sender sees the 413. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;
const MAX_CONTROL_BODY_BYTES = 64 * 1024;

export const WEBHOOK_PATH_PREFIX = "/webhooks/";

export interface InboxAppOptions {
  /**
   * The Standard Webhooks secrets (`whsec_…`) a webhook may be signed with: it
   * is verified when any one of its signatures matches any one of these (a
   * receiver during a secret rotation).
   */
  readonly secrets: readonly string[];
  readonly store: InboxStore;
  readonly plan: ResponsePlan;
  readonly logger: Logger;
  readonly maxBodyBytes?: number;
  readonly now?: () => Date;
}

/**
 * The inbox's HTTP API (the platform's server adds /healthz, /readyz, /metrics):
 *   POST   /webhooks/...          receive a webhook (verified with standardwebhooks)
 *   GET    /__inbox/messages      ?orderId= &type= &verified=true|false
 *   DELETE /__inbox/messages
 *   GET    /__inbox/responses     the planned status, if any
 *   POST   /__inbox/responses     {status, times, retryAfter?}: answer the next `times` deliveries with `status`
 *                                  (and a Retry-After header of `retryAfter` seconds)
 *   DELETE /__inbox/responses
 */
export function createInboxApp(options: InboxAppOptions): RequestListener {
  const verifiers = options.secrets.map((s) => new Webhook(s));
  if (verifiers.length === 0) throw new Error("the inbox needs at least one secret");
  const maxBodyBytes = options.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  const now = options.now ?? (() => new Date());
  const { store, plan, logger } = options;

  const receive = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const receivedAt = now().toISOString();
    const webhookId = header(req.headers, "webhook-id") ?? null;
    const timestamp = headerTimestamp(header(req.headers, "webhook-timestamp"));
    const headers = signatureHeaders(req.headers);
    const read = await readBody(req, maxBodyBytes);
    if (!read.ok) {
      const error = `body larger than ${maxBodyBytes} bytes`;
      const stored = store.add({ webhookId, timestamp, body: null, rawBody: null, headers, verified: false, receivedAt, path, responseStatus: 413, error });
      logger.warn({ seq: stored.seq, webhookId, path, error }, `webhook rejected: ${error}`);
      return sendJson(res, 413, { error }, { connection: "close" });
    }
    const rawBody = read.body.toString("utf8");
    const body = parseBody(rawBody);
    let verified = false;
    let error: string | undefined;
    for (const verifier of verifiers) {
      try {
        verifier.verify(read.body, headers, { jsonParse: false });
        verified = true;
        error = undefined;
        break;
      } catch (err) {
        error ??= err instanceof WebhookVerificationError ? err.message : `verification failed: ${String(err)}`;
      }
    }
    if (!verified) {
      const stored = store.add({ webhookId, timestamp, body, rawBody, headers, verified, receivedAt, path, responseStatus: 401, error });
      logger.warn(
        { seq: stored.seq, webhookId, type: stored.type, orderId: stored.orderId, error },
        `webhook rejected (${error}): ${describe(stored)}`,
      );
      return sendJson(res, 401, { error: `invalid webhook signature: ${error}` });
    }
    const plannedResponse = plan.takeResponse();
    const planned = plannedResponse?.status;
    const responseStatus = planned ?? 200;
    const stored = store.add({ webhookId, timestamp, body, rawBody, headers, verified, receivedAt, path, responseStatus });
    logger.info(
      { seq: stored.seq, webhookId, type: stored.type, orderId: stored.orderId, status: stored.status, responseStatus },
      `webhook ${describe(stored)} -> ${responseStatus}${planned === undefined ? "" : " (planned)"}`,
    );
    if (planned !== undefined) {
      const extra: Record<string, string> = plannedResponse?.retryAfter === undefined ? {} : { "retry-after": String(plannedResponse.retryAfter) };
      return sendJson(res, planned, { planned: true, status: planned }, extra);
    }
    sendJson(res, 200, { received: true, seq: stored.seq });
  };

  const listMessages = (res: ServerResponse, query: URLSearchParams): void => {
    const parsed = parseFilter(query);
    if (!parsed.ok) return sendJson(res, 400, { error: parsed.error });
    const messages = store.list(parsed.value);
    sendJson(res, 200, { count: messages.length, messages });
  };

  const setResponses = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const read = await readBody(req, MAX_CONTROL_BODY_BYTES);
    if (!read.ok) return sendJson(res, 413, { error: `body larger than ${MAX_CONTROL_BODY_BYTES} bytes` }, { connection: "close" });
    let input: unknown;
    try {
      input = JSON.parse(read.body.toString("utf8"));
    } catch {
      return sendJson(res, 400, { error: 'body must be JSON such as {"status": 503, "times": 2}' });
    }
    const rule = parseResponseRule(input);
    if (!rule.ok) return sendJson(res, 400, { error: rule.error });
    const planned = plan.set(rule.value);
    logger.info({ planned }, `next ${planned.remaining} webhook(s) will be answered with ${planned.status}`);
    sendJson(res, 200, { planned });
  };

  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://inbox.local");
    const path = url.pathname;
    const method = req.method ?? "GET";
    const route = (): Promise<void> | void => {
      if (path.startsWith(WEBHOOK_PATH_PREFIX) && path.length > WEBHOOK_PATH_PREFIX.length) {
        return method === "POST" ? receive(req, res, path) : methodNotAllowed(res, ["POST"]);
      }
      if (path === "/__inbox/messages") {
        if (method === "GET") return listMessages(res, url.searchParams);
        if (method === "DELETE") return sendJson(res, 200, { cleared: store.clear() });
        return methodNotAllowed(res, ["GET", "DELETE"]);
      }
      if (path === "/__inbox/responses") {
        if (method === "GET") return sendJson(res, 200, { planned: plan.peek() ?? null });
        if (method === "POST") return setResponses(req, res);
        if (method === "DELETE") return void (plan.reset(), sendJson(res, 200, { planned: null }));
        return methodNotAllowed(res, ["GET", "POST", "DELETE"]);
      }
      sendJson(res, 404, { error: `no route for ${method} ${path}` });
    };
    Promise.resolve()
      .then(route)
      .catch((err: unknown) => {
        logger.error({ err, method, path }, "request failed");
        if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
        else res.destroy();
      });
  };
}

/** One readable phrase for logs: type, order and status. */
export function describe(message: Pick<InboxMessage, "type" | "orderId" | "status">): string {
  return `${message.type ?? "(no type)"} order=${message.orderId ?? "-"} status=${message.status ?? "-"}`;
}

const FILTER_KEYS = new Set(["orderId", "type", "verified"]);

export function parseFilter(query: URLSearchParams): { ok: true; value: InboxFilter } | { ok: false; error: string } {
  const unknown = [...new Set(query.keys())].filter((k) => !FILTER_KEYS.has(k));
  if (unknown.length > 0) return { ok: false, error: `unknown query parameter(s): ${unknown.join(", ")}; use orderId, type, verified` };
  const filter: { orderId?: string; type?: string; verified?: boolean } = {};
  for (const key of ["orderId", "type"] as const) {
    const values = query.getAll(key);
    if (values.length > 1) return { ok: false, error: `${key} may be given once` };
    if (values[0]) filter[key] = values[0];
  }
  const verified = query.get("verified");
  if (verified !== null && verified !== "") {
    if (verified !== "true" && verified !== "false") return { ok: false, error: "verified must be true or false" };
    filter.verified = verified === "true";
  }
  return { ok: true, value: filter };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function signatureHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const picked: Record<string, string> = {};
  // The signature headers, and the sender's attempt counter (which attempt of the message this is).
  for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature", "webhook-attempt"]) {
    const value = header(headers, name);
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

type ReadResult = { ok: true; body: Buffer } | { ok: false };

/** Reads the raw body up to `limit` bytes; past that, drains (bounded) and reports it as too large. */
async function readBody(req: IncomingMessage, limit: number): Promise<ReadResult> {
  const declared = Number(req.headers["content-length"]);
  let tooLarge = Number.isFinite(declared) && declared > limit;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) tooLarge = true;
    if (tooLarge) {
      if (total > DRAIN_LIMIT_BYTES) break;
      continue;
    }
    chunks.push(chunk);
  }
  return tooLarge ? { ok: false } : { ok: true, body: Buffer.concat(chunks) };
}

function methodNotAllowed(res: ServerResponse, allow: string[]): void {
  sendJson(res, 405, { error: `method not allowed; use ${allow.join(" or ")}` }, { allow: allow.join(", ") });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}
