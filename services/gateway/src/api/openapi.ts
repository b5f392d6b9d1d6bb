// The OpenAPI 3.1 document, generated from the route specs and the zod
// schemas the routes validate and shape with (JSON Schema 2020-12 is
// OpenAPI 3.1's own dialect, so the schemas go in unchanged).
import { z } from "zod";
import { problem, ProblemTypes, problemType, type ProblemCode } from "../domain/problem.js";
import { ExpiryReminderEvent, OrderFailedEvent, OrderFulfilledEvent, schemas, SubscriptionExpiredEvent, SubscriptionRenewedEvent, SubscriptionRevokedEvent } from "./schemas.js";
import { AUTHENTICATED_PROBLEMS, ROUTES, type HeaderName, type RouteSpec } from "./spec.js";

type Json = Record<string, unknown>;

const REF = (id: string) => `#/components/schemas/${id}`;

/** A schema as the document holds it: named schemas become $refs, and no $schema/$id of its own. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const id = schemas.get(schema)?.id;
  // The schema itself is named: refer to it.
  if (id) return { $ref: REF(id) };
  const { $schema: _s, $defs: _d, ...rest } = z.toJSONSchema(schema, { metadata: schemas, io, unrepresentable: "any", target: "draft-2020-12" }) as Json;
  // Named schemas inside it are components of the document.
  return JSON.parse(JSON.stringify(rest).replace(/"#\/\$defs\/([A-Za-z0-9_]+)"/g, (_m, name: string) => JSON.stringify(REF(name)))) as Json;
}

function components(): Json {
  const all = z.toJSONSchema(schemas, { uri: REF, io: "output", unrepresentable: "any", target: "draft-2020-12" }).schemas as Record<string, Json>;
  // The request body is read as input (its refinements documented as pattern/maxLength).
  const input = z.toJSONSchema(schemas, { uri: REF, io: "input", unrepresentable: "any", target: "draft-2020-12" }).schemas as Record<string, Json>;
  const out: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(all)) {
    const { $schema: _s, $id: _i, ...rest } = id === "OrderRequest" ? input[id]! : schema;
    out[id] = rest;
  }
  return out;
}

export const HEADERS: Record<HeaderName, { description: string; schema: Json }> = {
  Location: { description: "Where the order can be read: /t2mobile/orders/{orderId}", schema: { type: "string" } },
  ETag: { description: "The catalogue's version; send it back in If-None-Match", schema: { type: "string" } },
  "Cache-Control": { description: "How long the catalogue may be reused without asking again", schema: { type: "string" } },
  "Retry-After": { description: "Seconds to wait before trying again", schema: { type: "integer", minimum: 1 } },
  RateLimit: {
    description: 'IETF RateLimit header: the budget this request spent from, what is left (r) and the seconds until more frees up (t), e.g. `"orders";r=42;t=18`',
    schema: { type: "string" },
  },
  "RateLimit-Policy": { description: 'IETF RateLimit-Policy header: the budget\'s quota (q) per window of w seconds, e.g. `"orders";q=100;w=60`', schema: { type: "string" } },
  "Idempotent-Replayed": { description: "true on the answer to a retry (the first response, replayed)", schema: { type: "string", enum: ["true"] } },
  "X-Request-Id": { description: "This request's id (yours, if you sent X-Request-Id); quote it to IconTech support", schema: { type: "string" } },
  "WWW-Authenticate": { description: 'Bearer realm="t2mobile"', schema: { type: "string" } },
};

const headerRefs = (names: readonly HeaderName[]) => Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n}` }]));

/** The problems a route answers with, grouped by HTTP status, each code an example. */
function problemResponses(codes: readonly ProblemCode[], route: RouteSpec): Record<string, Json> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of new Set(codes)) {
    const status = ProblemTypes[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, Json> = {};
  for (const [status, list] of [...byStatus.entries()].sort(([a], [b]) => a - b)) {
    const headers: HeaderName[] = ["X-Request-Id"];
    if (route.budget && status !== 401 && status !== 403) headers.push("RateLimit", "RateLimit-Policy");
    if (list.some((c) => c === "RATE_LIMITED" || c === "IDEMPOTENCY_KEY_IN_USE" || c === "SERVICE_UNAVAILABLE")) headers.push("Retry-After");
    if (list.includes("UNAUTHORIZED")) headers.push("WWW-Authenticate");
    responses[String(status)] = {
      description: list.map((c) => `\`${c}\`: ${ProblemTypes[c].title}`).join("; "),
      headers: headerRefs(headers),
      content: {
        "application/problem+json": {
          schema: { $ref: REF("Problem") },
          examples: Object.fromEntries(list.map((c) => [c, { summary: ProblemTypes[c].title, value: problem(c, `an example of ${c}`, { instance: route.url.replace(/:(\w+)/g, "{$1}") }) }])),
        },
      },
    };
  }
  return responses;
}

function operation(route: RouteSpec): Json {
  const parameters: Json[] = [];
  for (const [where, object] of [["path", route.params], ["query", route.query]] as const) {
    if (!object) continue;
    for (const [name, schema] of Object.entries(object.shape)) {
      const s = jsonSchema(schema as z.ZodType, "input");
      const description = (schema as z.ZodType).description ?? (s.description as string | undefined);
      parameters.push({ name, in: where, required: where === "path" || !(schema as z.ZodType).safeParse(undefined).success, ...(description ? { description } : {}), schema: s });
    }
  }
  for (const header of route.headers ?? []) parameters.push({ name: header.name, in: "header", required: header.required, description: header.description, schema: jsonSchema(header.schema, "input") });
  parameters.push({ name: "X-Request-Id", in: "header", required: false, description: "Your id for this request, echoed back", schema: { type: "string", maxLength: 200 } });

  const responses: Record<string, Json> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const contentType = spec.contentType ?? "application/json";
    responses[status] = {
      description: spec.description,
      ...(spec.headers ? { headers: headerRefs(spec.headers) } : {}),
      ...(spec.schema ? { content: { [contentType]: { schema: jsonSchema(spec.schema, "output") } } } : spec.contentType ? { content: { [contentType]: { schema: contentType.endsWith("json") ? { type: "object", description: "An OpenAPI 3.1 document" } : { type: "string" } } } } : {}),
    };
  }
  // Any request may meet Node's HTTP parser first (headers too large).
  Object.assign(responses, problemResponses([...(route.budget ? AUTHENTICATED_PROBLEMS : []), ...route.problems, "HEADERS_TOO_LARGE"], route));

  return {
    operationId: route.operationId,
    summary: route.summary,
    description: route.description + (route.budget ? `\n\nNeeds an API key. Spends the \`${route.budget}\` budget (see Rate limits).` : ""),
    tags: [route.tag],
    security: route.budget ? [{ apiKey: [] }] : [],
    parameters,
    ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(route.body, "input") } } } } : {}),
    responses,
  };
}

function webhook(event: z.ZodType, type: string, summary: string): Json {
  const header = (name: string, description: string, schema: Json = { type: "string" }) => ({ name, in: "header", required: true, description, schema });
  return {
    post: {
      operationId: `webhook${type}`,
      summary,
      description:
        "Signed as Standard Webhooks 1.0 (HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, one `v1,` signature per signing secret, space-separated). Verify with any of your secrets, reject timestamps more than 5 minutes away, and de-duplicate on `webhook-id` (the same on every retry). Answer 2xx within 15 seconds; anything else is retried (30 s, 2 m, 5 m, 10 m, 20 m), `Retry-After` is honoured, and `410 Gone` disables your endpoint.",
      parameters: [
        header("webhook-id", "The message id: the same on every retry and replay"),
        header("webhook-timestamp", "Unix seconds of this attempt", { type: "string", pattern: "^\\d+$" }),
        header("webhook-signature", "Space-separated `v1,<base64>` signatures, one per signing secret"),
        header("webhook-attempt", "1 for the first attempt, counting every retry", { type: "string", pattern: "^\\d+$" }),
        header("webhook-event-type", "The event type, as in the body's `type`", { type: "string", enum: [type] }),
      ],
      requestBody: { required: true, content: { "application/json": { schema: jsonSchema(event, "output") } } },
      responses: { "2XX": { description: "Received: not sent again" }, "410": { description: "Gone: your endpoint is disabled until IconTech enables it" }, default: { description: "Not received: retried later" } },
    },
  };
}

const API_DESCRIPTION = `IconTech's fulfilment API for partners (T2Mobile first): list products, place and renew orders, read orders and subscriptions, revoke subscriptions, and receive signed webhooks when orders are fulfilled or fail and when subscriptions are renewed, revoked, expire or near their end.

## Authentication and partners
Each partner has its own API keys, sent as \`Authorization: Bearer <key>\`. A partner sees and changes only its own orders, keys, webhooks and idempotency keys; another partner's order is \`404\` exactly like one that does not exist. Several keys are active at once, so you rotate without downtime: IconTech issues a new key, you switch to it, IconTech revokes the old one. Keys are stored only as digests; IconTech can show you a key's first characters and when it was last used, never the key.

## Rate limits
Per partner, each budget allows \`RATE_LIMIT_PER_MINUTE\` requests in any 60 seconds (100 unless agreed otherwise), counted across all of IconTech's servers: \`orders\` (placing orders) and \`reads\` (products, reading and listing orders) are separate, so polling never stops you ordering. Every answer carries \`RateLimit\` and \`RateLimit-Policy\`; past the limit, \`429 RATE_LIMITED\` with \`Retry-After\`. Health and this documentation are never limited.

## Errors
Every error is \`application/problem+json\` (RFC 9457) with a stable \`code\`:

${(Object.keys(ProblemTypes) as ProblemCode[]).map((c) => `- \`${c}\` (${ProblemTypes[c].status}): ${ProblemTypes[c].title} — ${problemType(c)}`).join("\n")}
`;

/** The whole document. */
export function openApiDocument(options: { serverUrl?: string } = {}): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of ROUTES) {
    const path = route.url.replace(/:(\w+)/g, "{$1}");
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: { title: "T2Mobile fulfilment API", version: "1.0.0", description: API_DESCRIPTION, contact: { name: "IconTech support" } },
    servers: [{ url: options.serverUrl ?? "/", description: "This gateway" }],
    tags: [
      { name: "Orders", description: "Placing, reading and reconciling orders" },
      { name: "Subscriptions", description: "Subscriptions, their history, and revocation (renew with an order's `renews`)" },
      { name: "Catalogue", description: "Products and prices" },
      { name: "Operations", description: "Health" },
      { name: "Documentation", description: "This document and its page" },
    ],
    paths,
    webhooks: {
      ORDER_FULFILLED: webhook(OrderFulfilledEvent, "ORDER_FULFILLED", "An order was fulfilled"),
      ORDER_FAILED: webhook(OrderFailedEvent, "ORDER_FAILED", "An order failed"),
      SUBSCRIPTION_RENEWED: webhook(SubscriptionRenewedEvent, "SUBSCRIPTION_RENEWED", "A subscription was renewed"),
      SUBSCRIPTION_REVOKED: webhook(SubscriptionRevokedEvent, "SUBSCRIPTION_REVOKED", "A subscription was revoked"),
      SUBSCRIPTION_EXPIRED: webhook(SubscriptionExpiredEvent, "SUBSCRIPTION_EXPIRED", "A subscription expired"),
      EXPIRY_REMINDER: webhook(ExpiryReminderEvent, "EXPIRY_REMINDER", "A subscription ends soon"),
    },
    components: {
      schemas: components(),
      headers: Object.fromEntries(Object.entries(HEADERS).map(([name, h]) => [name, { description: h.description, schema: h.schema }])),
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "Your API key: Authorization: Bearer <key>" } },
    },
  };
}
