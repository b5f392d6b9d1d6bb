// What each route of the REST API takes and answers. The gateway registers
// its routes from these specs (validation, response shaping, which budget
// a request spends) and the OpenAPI document is generated from the same
// specs, so the two cannot differ.
import { z } from "zod";
import type { ProblemCode } from "../domain/problem.js";
import {
  CustomerPath,
  CustomerSubscriptions,
  Health,
  IdempotencyKey,
  Order,
  OrderList,
  OrderListQuery,
  OrderPath,
  OrderRequest,
  Problem,
  ProductList,
  RevokedSubscription,
  RevokeRequest,
  SubmittedOrder,
  Subscription,
  SubscriptionPath,
} from "./schemas.js";

/** Response headers the API documents (components.headers). */
export type HeaderName =
  | "Location"
  | "ETag"
  | "Cache-Control"
  | "Retry-After"
  | "RateLimit"
  | "RateLimit-Policy"
  | "Idempotent-Replayed"
  | "X-Request-Id"
  | "WWW-Authenticate";

export interface ResponseSpec {
  readonly description: string;
  /** JSON body; undefined for none (304) or a non-JSON one (contentType). */
  readonly schema?: z.ZodType;
  readonly contentType?: string;
  readonly headers?: readonly HeaderName[];
}

/** Which request budget a route spends (RATE_LIMIT_PER_MINUTE each, per partner). */
export type Budget = "orders" | "reads";

export interface RouteSpec {
  readonly method: "GET" | "POST";
  /** Fastify's form (":orderId"); the document uses "{orderId}". */
  readonly url: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly tag: "Orders" | "Subscriptions" | "Catalogue" | "Operations" | "Documentation";
  /** Needs an API key, spends `budget`; public routes have neither. */
  readonly budget?: Budget;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  /** Request headers beyond Authorization (documented as header parameters). */
  readonly headers?: ReadonlyArray<{ name: string; required: boolean; description: string; schema: z.ZodType }>;
  readonly body?: z.ZodType;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** Problem codes this route answers with, beyond those every authenticated route shares. */
  readonly problems: readonly ProblemCode[];
}

const RATE_HEADERS: HeaderName[] = ["RateLimit", "RateLimit-Policy", "X-Request-Id"];

/** What every route with an API key may also answer. */
export const AUTHENTICATED_PROBLEMS: readonly ProblemCode[] = ["UNAUTHORIZED", "PARTNER_SUSPENDED", "RATE_LIMITED", "SERVICE_UNAVAILABLE", "INTERNAL_ERROR", "NOT_FOUND"];

export const ROUTES: readonly RouteSpec[] = [
  {
    method: "GET",
    url: "/t2mobile/products",
    operationId: "listProducts",
    summary: "List the products and their prices",
    description:
      "The catalogue, with each product's tenures and prices in NGN. Answers carry an `ETag` and `Cache-Control`; send the ETag back in `If-None-Match` and an unchanged catalogue answers `304 Not Modified` with no body.",
    tag: "Catalogue",
    budget: "reads",
    headers: [
      { name: "If-None-Match", required: false, description: "The ETag of a catalogue you hold; 304 when it is still current", schema: z.string().max(1_000) },
    ],
    responses: {
      200: { description: "The catalogue", schema: ProductList, headers: ["ETag", "Cache-Control", ...RATE_HEADERS] },
      304: { description: "Not modified: the catalogue you hold (If-None-Match) is current", headers: ["ETag", "Cache-Control", ...RATE_HEADERS] },
    },
    problems: ["INVALID_REQUEST"],
  },
  {
    method: "POST",
    url: "/t2mobile/fulfilment",
    operationId: "placeOrder",
    summary: "Place an order",
    description: [
      "Accepts the order and fulfils it in the background: poll `GET /t2mobile/orders/{orderId}` or wait for the webhook.",
      "",
      "**Idempotency.** Send a unique `Idempotency-Key` (a UUID) with every order and reuse it only to retry that same order. A retry answers `200` with the first response's body, `isDuplicate: true` and `Idempotent-Replayed: true`. The same key with a different order is `422 IDEMPOTENCY_KEY_REUSED`; a retry while the first request is still being accepted waits briefly, then answers `409 IDEMPOTENCY_KEY_IN_USE` with `Retry-After`. Keys are yours alone (scoped to your partner account) and kept at least 24 hours, and as long as the order is unfinished; after that, the same key with a different order is a new order. Order ids are unique among your orders for good: reusing one is `409 ORDER_ID_TAKEN`.",
      "",
      "Refused requests (4xx) store nothing and may be corrected and sent again with the same key.",
      "",
      "**Renewals.** To renew a subscription, place an order for the same product and customer with `renews` naming the subscription (its activation reference, or the id of the order that created it). It goes through the same pipeline at the tenure's renewal price; once fulfilled, `SUBSCRIPTION_RENEWED` carries the new expiry (a renewal order sends no `ORDER_FULFILLED`). Renewing an unknown subscription is `422 RENEWED_SUBSCRIPTION_NOT_FOUND`, a revoked one `422 SUBSCRIPTION_REVOKED`, another product's or customer's `422 RENEWAL_MISMATCH`.",
    ].join("\n"),
    tag: "Orders",
    budget: "orders",
    headers: [{ name: "Idempotency-Key", required: true, description: "Unique per order: 1 to 255 printable ASCII characters without spaces, bare or as a quoted structured-field string", schema: IdempotencyKey }],
    body: OrderRequest,
    responses: {
      202: { description: "Accepted: the order is stored and will be fulfilled", schema: SubmittedOrder, headers: ["Location", ...RATE_HEADERS] },
      200: { description: "A retry of an accepted order (same key, same order): the first response's body, with isDuplicate true", schema: SubmittedOrder, headers: ["Location", "Idempotent-Replayed", ...RATE_HEADERS] },
    },
    problems: ["INVALID_REQUEST", "MALFORMED_JSON", "UNSUPPORTED_MEDIA_TYPE", "PAYLOAD_TOO_LARGE", "PRODUCT_NOT_FOUND", "TENURE_NOT_OFFERED", "IDEMPOTENCY_KEY_REUSED", "IDEMPOTENCY_KEY_IN_USE", "ORDER_ID_TAKEN", "RENEWED_SUBSCRIPTION_NOT_FOUND", "SUBSCRIPTION_REVOKED", "RENEWAL_MISMATCH"],
  },
  {
    method: "GET",
    url: "/t2mobile/orders/:orderId",
    operationId: "getOrder",
    summary: "Read an order",
    description: "The order's current state. Status polling has its own budget, apart from placing orders.",
    tag: "Orders",
    budget: "reads",
    params: OrderPath,
    responses: { 200: { description: "The order", schema: Order, headers: RATE_HEADERS } },
    problems: ["INVALID_REQUEST", "ORDER_NOT_FOUND", "URI_TOO_LONG"],
  },
  {
    method: "GET",
    url: "/t2mobile/orders",
    operationId: "listOrders",
    summary: "List your orders changed since a time (reconciliation)",
    description:
      "Your orders, oldest change first, a page at a time: to catch up on outcomes whose webhooks you missed, list `status=FULFILLED` (or `FAILED`) `since` the last change you processed, following `nextCursor` until it is null. An order that changes while you page appears again later with its new state.",
    tag: "Orders",
    budget: "reads",
    query: OrderListQuery,
    responses: { 200: { description: "A page of orders", schema: OrderList, headers: RATE_HEADERS } },
    problems: ["INVALID_REQUEST"],
  },
  {
    method: "GET",
    url: "/t2mobile/subscriptions/:reference",
    operationId: "getSubscription",
    summary: "Read a subscription and its history",
    description: "By its activation reference, or the id of the order that created it. Every change (activated, renewed, expired, revoked) is in `history`, oldest first.",
    tag: "Subscriptions",
    budget: "reads",
    params: SubscriptionPath,
    responses: { 200: { description: "The subscription", schema: Subscription, headers: RATE_HEADERS } },
    problems: ["INVALID_REQUEST", "SUBSCRIPTION_NOT_FOUND", "URI_TOO_LONG"],
  },
  {
    method: "GET",
    url: "/t2mobile/customers/:customerId/subscriptions",
    operationId: "listCustomerSubscriptions",
    summary: "List a customer's subscriptions",
    description: "Every subscription of one of your customers, oldest first, without their histories (an unknown customer has none).",
    tag: "Subscriptions",
    budget: "reads",
    params: CustomerPath,
    responses: { 200: { description: "The customer's subscriptions", schema: CustomerSubscriptions, headers: RATE_HEADERS } },
    problems: ["INVALID_REQUEST", "URI_TOO_LONG"],
  },
  {
    method: "POST",
    url: "/t2mobile/subscriptions/:reference/revoke",
    operationId: "revokeSubscription",
    summary: "Revoke a subscription",
    description:
      "REVOKED at once: the licence is withdrawn and `SUBSCRIPTION_REVOKED` is sent. Idempotent: revoking a revoked subscription answers `200` with it as it is (`alreadyRevoked: true`) and sends nothing more. A revoked subscription cannot be renewed.",
    tag: "Subscriptions",
    budget: "orders",
    params: SubscriptionPath,
    body: RevokeRequest,
    responses: { 200: { description: "The revoked subscription", schema: RevokedSubscription, headers: RATE_HEADERS } },
    problems: ["INVALID_REQUEST", "MALFORMED_JSON", "UNSUPPORTED_MEDIA_TYPE", "PAYLOAD_TOO_LARGE", "SUBSCRIPTION_NOT_FOUND", "URI_TOO_LONG"],
  },
  {
    method: "GET",
    url: "/t2mobile/health",
    operationId: "health",
    summary: "Health of the API",
    description: "Public (no key) and never rate-limited: 200 when every dependency answers, 503 naming the one that does not.",
    tag: "Operations",
    responses: {
      200: { description: "Healthy", schema: Health, headers: ["X-Request-Id"] },
      503: { description: "A dependency does not answer", schema: Health, headers: ["X-Request-Id"] },
    },
    problems: [],
  },
  {
    method: "GET",
    url: "/t2mobile/openapi.json",
    operationId: "openApiDocument",
    summary: "This document (OpenAPI 3.1)",
    description: "Public. Generated from the schemas the gateway validates requests and shapes responses with.",
    tag: "Documentation",
    responses: { 200: { description: "The OpenAPI 3.1 document", contentType: "application/json", headers: ["X-Request-Id"] } },
    problems: [],
  },
  {
    method: "GET",
    url: "/t2mobile/docs",
    operationId: "docsPage",
    summary: "This documentation as a page",
    description: "Public. Renders /t2mobile/openapi.json (Swagger UI, served by the gateway itself).",
    tag: "Documentation",
    responses: { 200: { description: "An HTML page", contentType: "text/html", headers: ["X-Request-Id"] } },
    problems: [],
  },
];

export { Problem };
