import { faultEnvelope, FaultSpecError, isRateLimitFault, parseFaultSpec, type SandboxOperation } from "./domain/faults.js";
import { parsePaging } from "./domain/paging.js";
import type { ZohoSandboxState } from "./domain/sandbox-state.js";
import { invalidValue, ZohoCode, ZohoError } from "./domain/zoho-error.js";

// The sandbox's protocol, free of Node I/O: a parsed request in, the answer
// out. app.ts reads bodies and writes responses around it.

export type RequestBody =
  | { readonly kind: "none" }
  | { readonly kind: "json"; readonly value: unknown }
  | { readonly kind: "form"; readonly fields: URLSearchParams }
  | { readonly kind: "malformed"; readonly reason: string };

export interface SandboxRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly authorization: string | undefined;
  /** Where the caller reached the sandbox, e.g. http://127.0.0.1:4105; the token answer names it as api_domain. */
  readonly origin: string;
  readonly body: RequestBody;
  /** The body as text ("" when none), for faults that match on it. */
  readonly rawBody?: string;
}

export interface SandboxReply {
  readonly status: number;
  readonly body: unknown;
  /** Hold the answer back this long (an injected delay). */
  readonly delayMs: number;
  /** The Zoho operation answered, if the request was one. */
  readonly operation?: SandboxOperation;
  /** Response headers besides the content type (the rate-limit headers on API answers). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Frees the call's place under the concurrency limit; call once the answer is sent (or dropped). */
  readonly release?: () => void;
}

export const API_PREFIX = "/inventory/v1";
export const TOKEN_PATH = "/oauth/v2/token";
export const CONTROL_PREFIX = "/__sandbox";

interface ApiCall {
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  readonly body: RequestBody;
}

interface ApiRoute {
  readonly method: "GET" | "POST";
  readonly path: RegExp;
  readonly operation: Exclude<SandboxOperation, "token">;
  run(state: ZohoSandboxState, call: ApiCall): { status: number; body: Record<string, unknown> };
}

const success = (status: number, message: string, resource: Record<string, unknown>) => ({
  status,
  body: { code: ZohoCode.success, message, ...resource },
});

const apiRoutes: readonly ApiRoute[] = [
  {
    method: "GET",
    path: /^\/items$/,
    operation: "listItems",
    run: (state, { query }) => {
      const { page, page_context } = state.org.listItems(
        { sku: query.get("sku") ?? undefined, searchText: query.get("search_text") ?? undefined },
        parsePaging(query),
      );
      return success(200, "success", { items: page, page_context });
    },
  },
  {
    method: "GET",
    path: /^\/contacts$/,
    operation: "findContacts",
    run: (state, { query }) => {
      const { page, page_context } = state.org.findContacts(
        { email: query.get("email") ?? undefined, contactName: query.get("contact_name") ?? undefined },
        parsePaging(query),
      );
      return success(200, "success", { contacts: page, page_context });
    },
  },
  {
    method: "POST",
    path: /^\/contacts$/,
    operation: "createContact",
    run: (state, { body }) => success(201, "The contact has been created", { contact: state.org.createContact(jsonBody(body)) }),
  },
  {
    method: "GET",
    path: /^\/salesorders$/,
    operation: "listSalesOrders",
    run: (state, { query }) => {
      const { page, page_context } = state.org.listSalesOrders(
        { salesorderNumber: query.get("salesorder_number") ?? undefined, referenceNumber: query.get("reference_number") ?? undefined },
        parsePaging(query),
      );
      return success(200, "success", { salesorders: page, page_context });
    },
  },
  {
    method: "POST",
    path: /^\/salesorders\/status\/confirmed$/,
    operation: "bulkConfirmSalesOrders",
    run: (state, { query }) => {
      const ids = (query.get("salesorder_ids") ?? "").split(",").map((id) => id.trim());
      const { changed, refused } = state.org.bulkConfirmSalesOrders(ids);
      // The contract's shape, odd names included: data.email_success_info[].ids and data.email_error_info[] ([U] what the latter holds).
      return success(200, "Sales order status has been changed to Confirmed.", {
        data: {
          email_success_info: changed.length > 0 ? [{ code: ZohoCode.success, message: "The status of the sales order has been changed to Confirmed.", ids: changed }] : [],
          email_error_info: refused.map((r) => ({ code: r.code, message: r.message, ids: [r.id] })),
        },
      });
    },
  },
  {
    method: "POST",
    path: /^\/salesorders$/,
    operation: "createSalesOrder",
    run: (state, { query, body }) => {
      const ignoreAutoNumberGeneration = booleanParam(query, "ignore_auto_number_generation");
      const order = state.org.createSalesOrder(jsonBody(body), { ignoreAutoNumberGeneration });
      // The published OpenAPI names this node `sales_order`; the live API and
      // the clients that read it use `salesorder` (zoho-api.md, "Name mismatch").
      return success(201, "Sales Order has been created.", { salesorder: order });
    },
  },
  {
    method: "GET",
    path: /^\/salesorders\/([^/]+)$/,
    operation: "getSalesOrder",
    run: (state, { params }) => success(200, "success", { salesorder: state.org.getSalesOrder(params[0]!) }),
  },
  {
    method: "POST",
    path: /^\/salesorders\/([^/]+)\/status\/confirmed$/,
    operation: "confirmSalesOrder",
    run: (state, { params }) => {
      state.org.confirmSalesOrder(params[0]!);
      return success(200, "Sales order status has been changed to 'Confirmed'.", {});
    },
  },
  {
    method: "POST",
    path: /^\/salesorders\/([^/]+)\/status\/void$/,
    operation: "voidSalesOrder",
    run: (state, { params }) => {
      state.org.voidSalesOrder(params[0]!);
      return success(200, "The status of the Sales Order has been changed to void.", {});
    },
  },
];

export function handleSandboxRequest(state: ZohoSandboxState, request: SandboxRequest): SandboxReply {
  if (request.path === TOKEN_PATH) return handleToken(state, request);
  if (request.path.startsWith(`${API_PREFIX}/`)) return handleApi(state, request);
  if (request.path === CONTROL_PREFIX || request.path.startsWith(`${CONTROL_PREFIX}/`)) return handleControl(state, request);
  return { status: 404, body: { code: ZohoCode.invalidUrl, message: "Invalid URL Passed" }, delayMs: 0 };
}

function handleToken(state: ZohoSandboxState, request: SandboxRequest): SandboxReply {
  if (request.method !== "POST") return { status: 405, body: { error: "method_not_allowed" }, delayMs: 0 };
  const fault = state.faults.take("token");
  let reply: { status: number; body: unknown };
  if (fault?.status !== undefined) {
    // The accounts server's error form is `{"error": …}`; over its token limit Zoho keeps HTTP 200 and says "Access Denied" [T].
    const fallback = fault.status === 200 || fault.status === 429 ? "Access Denied" : fault.status >= 500 ? "server_error" : "invalid_request";
    reply = { status: fault.status, body: { error: fault.message ?? fallback } };
  } else {
    // Zoho documents the parameters in the query and the body; the body wins.
    const params = new URLSearchParams(request.query);
    if (request.body.kind === "form") for (const [key, value] of request.body.fields) params.set(key, value);
    const grant = state.tokens.grant({
      grant_type: params.get("grant_type") ?? undefined,
      client_id: params.get("client_id") ?? undefined,
      client_secret: params.get("client_secret") ?? undefined,
      refresh_token: params.get("refresh_token") ?? undefined,
    });
    reply = grant.ok
      ? {
          status: 200,
          body: { access_token: grant.accessToken, expires_in: grant.expiresInSeconds, api_domain: request.origin, token_type: "Bearer" },
        }
      : { status: 200, body: { error: grant.error } };
  }
  state.recordRequest("token", reply.status);
  return { ...reply, delayMs: fault?.delayMs ?? 0, operation: "token" };
}

function handleApi(state: ZohoSandboxState, request: SandboxRequest): SandboxReply {
  const path = request.path.slice(API_PREFIX.length);
  const headers = rateLimitHeaders(state);
  const matching = apiRoutes.filter((r) => r.path.test(path));
  if (matching.length === 0) return { status: 404, body: { code: ZohoCode.invalidUrl, message: "Invalid URL Passed" }, delayMs: 0, headers };
  const route = matching.find((r) => r.method === request.method);
  if (!route) return { status: 405, body: { code: ZohoCode.invalidUrl, message: "Method not allowed for this URL" }, delayMs: 0, headers };

  let delayMs = 0;
  let release: (() => void) | undefined;
  let retryAfterSeconds: number | undefined;
  let reply: { status: number; body: unknown };
  try {
    release = admit(state, request);
    const fault = state.faults.take(route.operation, requestText(request), state.random);
    delayMs = fault?.delayMs ?? 0;
    if (fault?.status !== undefined) {
      reply = { status: fault.status, body: faultEnvelope({ ...fault, status: fault.status }) };
      if (isRateLimitFault(fault)) retryAfterSeconds = fault.retryAfterSeconds ?? 1;
    } else {
      const params = route.path.exec(path)!.slice(1).map(decodeURIComponent);
      reply = route.run(state, { params, query: request.query, body: request.body });
    }
  } catch (err) {
    if (!(err instanceof ZohoError)) {
      release?.();
      throw err;
    }
    reply = { status: err.httpStatus, body: err.envelope };
    if (err instanceof RateLimited) retryAfterSeconds = err.retryAfterSeconds;
  }
  state.recordRequest(route.operation, reply.status);
  return {
    ...reply,
    delayMs,
    operation: route.operation,
    // After the call counted, so Remaining and Reset describe the window it left behind.
    headers: { ...rateLimitHeaders(state), ...(retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) }) },
    release,
  };
}

/** A 429 from the sandbox's own limits, with the Retry-After it sends. */
class RateLimited extends ZohoError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, ZohoCode.requestLimitExceeded, "Request Limit Exceeded");
  }
}

/**
 * Token, organisation, concurrency and rate limit, in the order Zoho would
 * plausibly check them ([U]). Returns the release of the call's place under
 * the concurrency limit. A call refused by either limit does not count
 * against the other.
 */
function admit(state: ZohoSandboxState, request: SandboxRequest): () => void {
  const [scheme, token] = (request.authorization ?? "").split(" ", 2);
  if (scheme?.toLowerCase() !== "zoho-oauthtoken" || !state.tokens.isLive(token)) {
    throw new ZohoError(401, ZohoCode.notAuthorized, "You are not authorized to perform this operation");
  }
  const organizationId = request.query.get("organization_id");
  if (!organizationId) {
    // [U] what Zoho answers without organization_id; 9017 is its message for a user without an organisation.
    throw new ZohoError(400, ZohoCode.noOrganization, "This user is not associated with any organization.");
  }
  if (organizationId !== state.organizationId) {
    throw new ZohoError(401, ZohoCode.notAuthorized, "You are not authorized to perform this operation");
  }
  // [U] Zoho's answer over its concurrency limit; the sandbox answers as for the rate limit and asks for a second's pause.
  if (!state.concurrency.tryAcquire(organizationId)) throw new RateLimited(1);
  if (!state.rateLimiter.tryAcquire(organizationId)) {
    state.concurrency.release(organizationId);
    throw new RateLimited(Math.max(1, state.rateLimiter.status(organizationId)?.resetSeconds ?? 1));
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    state.concurrency.release(organizationId);
  };
}

/**
 * Zoho's rate-limit headers, as seen on Books answers [T]: the limit, calls
 * left in the window, and (the sandbox's reading of an undocumented value)
 * seconds until a call leaves the window. None when the limit is off.
 */
function rateLimitHeaders(state: ZohoSandboxState): Record<string, string> {
  const status = state.rateLimiter.status(state.organizationId);
  if (!status) return {};
  return {
    "x-rate-limit-limit": String(status.limit),
    "x-rate-limit-remaining": String(status.remaining),
    "x-rate-limit-reset": String(status.resetSeconds),
  };
}

/** What a fault's `match` looks in: the path, the query string and the body. */
function requestText(request: SandboxRequest): string {
  let path = request.path;
  try {
    path = decodeURIComponent(path);
  } catch {
    // Keep the raw path.
  }
  const query = [...request.query].map(([name, value]) => `${name}=${value}`).join("&");
  return `${path}?${query}\n${request.rawBody ?? ""}`;
}

/** The JSON object a Zoho write carries: a JSON body, or the legacy `JSONString` form field. */
function jsonBody(body: RequestBody): unknown {
  switch (body.kind) {
    case "json":
      return body.value;
    case "form": {
      const raw = body.fields.get("JSONString");
      if (raw === null) return undefined;
      try {
        return JSON.parse(raw);
      } catch {
        throw new ZohoError(400, ZohoCode.malformedJson, "JSON is not well formed");
      }
    }
    case "malformed":
      throw new ZohoError(400, ZohoCode.malformedJson, "JSON is not well formed");
    case "none":
      return undefined;
  }
}

function booleanParam(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name);
  if (raw === null || raw === "false") return false;
  if (raw === "true") return true;
  throw invalidValue(`Invalid value passed for ${name}`);
}

function handleControl(state: ZohoSandboxState, request: SandboxRequest): SandboxReply {
  const reply = (status: number, body: unknown): SandboxReply => ({ status, body, delayMs: 0 });
  const endpoint = `${request.method} ${request.path}`;
  switch (endpoint) {
    case `GET ${CONTROL_PREFIX}/state`:
      return reply(200, state.snapshot());
    case `POST ${CONTROL_PREFIX}/faults`: {
      if (request.body.kind !== "json") return reply(400, { error: "send the fault as a JSON object (content-type: application/json)" });
      try {
        return reply(201, { fault: state.faults.add(parseFaultSpec(request.body.value)) });
      } catch (err) {
        if (err instanceof FaultSpecError) return reply(400, { error: err.message });
        throw err;
      }
    }
    case `DELETE ${CONTROL_PREFIX}/faults`:
      return reply(200, { cleared: state.faults.clear() });
    case `POST ${CONTROL_PREFIX}/reset`:
      state.reset();
      return reply(200, { reset: true });
    case `POST ${CONTROL_PREFIX}/expire-tokens`:
      return reply(200, { expired: state.tokens.expireAll() });
  }
  const known = ["state", "faults", "reset", "expire-tokens"].map((name) => `${CONTROL_PREFIX}/${name}`);
  if (known.includes(request.path)) return reply(405, { error: `${request.method} is not allowed on ${request.path}` });
  return reply(404, {
    error: `unknown control endpoint; use GET ${CONTROL_PREFIX}/state, POST|DELETE ${CONTROL_PREFIX}/faults, POST ${CONTROL_PREFIX}/reset or POST ${CONTROL_PREFIX}/expire-tokens`,
  });
}
