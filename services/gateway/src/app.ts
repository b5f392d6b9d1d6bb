import { createHash, randomUUID } from "node:crypto";
import { isUtf8 } from "node:buffer";
import { trace } from "@opentelemetry/api";
import type { Client } from "@connectrpc/connect";
import { checkReadiness, ConnectError, type Logger, type ReadinessCheck, type Registry } from "@t2m/platform";
import type { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import { OrderStatus, type FulfilmentService } from "@t2m/proto/fulfilment/v1/fulfilment";
import type { SubscriptionService } from "@t2m/proto/provisioning/v1/provisioning";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { Counter, Histogram } from "prom-client";
import type { z } from "zod";
import { problem, PROBLEM_CONTENT_TYPE, type Problem, type ProblemCode } from "./domain/problem.js";
import { readIdempotencyKey } from "./domain/rest-order.js";
import { InFlightKeys } from "./domain/in-flight.js";
import { WINDOW_SECONDS, type RateDecision } from "./domain/rate-window.js";
import { problemFromRpc } from "./adapters/rpc-problems.js";
import { orderJson, productJson, subscriptionJson } from "./adapters/views.js";
import { OrderSubmitter } from "./adapters/order-submitter.js";
import type { Caller } from "./adapters/partner-directory.js";
import { docsAssets, DOCS_CSP } from "./adapters/docs-page.js";
import { openApiDocument } from "./api/openapi.js";
import { ROUTES, type Budget, type RouteSpec } from "./api/spec.js";
import { CustomerPath, IdempotencyKey, OrderListQuery, OrderPath, OrderRequest, RevokeRequest, SubscriptionPath } from "./api/schemas.js";

export interface GatewayOptions {
  readonly logger: Logger;
  readonly registry: Registry;
  /** Who an API key belongs to (PartnerDirectory). */
  readonly partners: { authenticate(key: string): Promise<Caller | undefined>; readonly isLoaded: boolean };
  /** The shared request budgets (RateLimiter). */
  readonly rateLimiter: { take(partnerId: string, budget: string, limit: number): Promise<RateDecision> };
  readonly catalogue: Client<typeof CatalogueService>;
  readonly fulfilment: Client<typeof FulfilmentService>;
  /** Provisioning's subscriptions: reads and revocation. */
  readonly subscriptions: Client<typeof SubscriptionService>;
  /** What GET /t2mobile/health reports on. */
  readonly health: readonly ReadinessCheck[];
  /** Per partner and budget, unless the partner has its own. */
  readonly rateLimitPerMinute: number;
  readonly bodyLimitBytes: number;
  readonly trustProxy: boolean;
  /** How long a request waits for an earlier one with the same Idempotency-Key before answering 409. */
  readonly idempotencyWaitMs?: number;
  /** Cache-Control max-age of the catalogue. */
  readonly catalogueMaxAgeSeconds?: number;
}

/** An error that is already a problem to answer with. */
class ProblemError extends Error {
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly errors?: Problem["errors"],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

const STATUS_TO_PROTO: Record<string, OrderStatus> = {
  PENDING: OrderStatus.PENDING,
  PROCESSING: OrderStatus.PROCESSING,
  FULFILLED: OrderStatus.FULFILLED,
  FAILED: OrderStatus.FAILED,
};

const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/** Zod's issues as the API's field errors; an unknown field is reported by its own name. */
function fieldErrors(issues: readonly z.core.$ZodIssue[], where: "body" | "query" | "path"): NonNullable<Problem["errors"]> {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ field: key, detail: issue.message }));
    const field = issue.path.length > 0 ? issue.path.map(String).join(".") : `(${where})`;
    return [{ field, detail: issue.message }];
  });
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: "body" | "query" | "path"): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ProblemError("INVALID_REQUEST", `the request's ${where} is invalid`, fieldErrors(result.error.issues, where));
  return result.data;
}

/** RFC 9110 If-None-Match against one strong ETag (weak comparison, as for GET). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

const etagOf = (body: string) => `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;

/** T2Mobile's REST API under /t2mobile: partners' keys and budgets, the catalogue, orders, the OpenAPI document and its page. */
export async function buildGateway(options: GatewayOptions) {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes,
    trustProxy: options.trustProxy,
    // Request ids let a support case be matched to our logs; a caller's own is kept if it is sane.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    return503OnClosing: true,
    // The router's own refusals (a URL it cannot decode, a path parameter over 100 characters) are problems too.
    frameworkErrors: (err, req, reply) =>
      err.code === "FST_ERR_MAX_PARAM_LENGTH"
        ? fail(reply, req, "URI_TOO_LONG", "the path is too long")
        : fail(reply, req, "INVALID_REQUEST", err.code === "FST_ERR_BAD_URL" ? "the URL could not be decoded" : "the request could not be routed"),
  });

  const submitter = new OrderSubmitter(options.fulfilment, { maxBatch: 128, maxInFlight: 2 });
  const inFlight = new InFlightKeys();
  const routeOf = (req: FastifyRequest) => (req.routeOptions.config as { spec?: RouteSpec } | undefined)?.spec;
  const callers = new WeakMap<FastifyRequest, Caller>();

  const traceId = () => trace.getActiveSpan()?.spanContext().traceId;
  const sendProblem = (reply: FastifyReply, body: Problem) => reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
  const fail = (reply: FastifyReply, req: FastifyRequest, code: ProblemCode, detail: string, errors?: Problem["errors"]) =>
    sendProblem(reply, problem(code, detail, { instance: req.url.split("?")[0], errors, traceId: traceId() }));

  const requestSeconds = new Histogram({
    name: "t2m_gateway_request_duration_seconds",
    help: "T2Mobile API requests, by route, method and status",
    labelNames: ["route", "method", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [options.registry],
  });
  const limited = new Counter({
    name: "t2m_gateway_rate_limited_total",
    help: "Requests refused with 429, by partner and budget",
    labelNames: ["partner", "budget"],
    registers: [options.registry],
  });
  const requestsByPartner = new Counter({
    name: "t2m_gateway_partner_requests_total",
    help: "Authenticated requests, by partner and budget",
    labelNames: ["partner", "budget"],
    registers: [options.registry],
  });
  app.addHook("onResponse", async (req, reply) => {
    requestSeconds.observe(
      { route: req.routeOptions.url ?? "unmatched", method: req.method.length <= 10 ? req.method : "other", status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.addHook("onSend", async (req, reply, payload) => {
    reply.header("x-request-id", req.id);
    return payload;
  });

  // JSON only, UTF-8 only: a body in any other type is 415, and bytes that are not UTF-8 are refused rather than decoded into U+FFFD.
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (req, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers["content-type"] ?? "")?.[1];
    if (charset && charset.toLowerCase() !== "utf-8" && charset.toLowerCase() !== "utf8") {
      return done(new ProblemError("UNSUPPORTED_MEDIA_TYPE", "send the body as application/json in UTF-8"), undefined);
    }
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) return done(new ProblemError("MALFORMED_JSON", "the body is not valid UTF-8"), undefined);
    parseJson(req, bytes.toString("utf8"), done);
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof ProblemError) {
      for (const [name, value] of Object.entries(err.headers)) reply.header(name, value);
      return fail(reply, req, err.code, err.detail, err.errors);
    }
    if (err instanceof ConnectError) {
      const body = problemFromRpc(err, req.url.split("?")[0]!, traceId());
      if (body.status >= 500) req.log.error({ err }, "downstream call failed");
      if (body.status === 503) reply.header("retry-after", "1");
      return sendProblem(reply, body);
    }
    if (err.code === "FST_ERR_CTP_INVALID_JSON_BODY" || err.code === "FST_ERR_CTP_EMPTY_JSON_BODY" || err instanceof SyntaxError) {
      return fail(reply, req, "MALFORMED_JSON", "the body could not be parsed as JSON");
    }
    if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || err.code === "FST_ERR_CTP_INVALID_TYPE") {
      return fail(reply, req, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json");
    }
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return fail(reply, req, "PAYLOAD_TOO_LARGE", `the body must be at most ${options.bodyLimitBytes} bytes`);
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // Fastify's own refusals (a Content-Length that does not match the body, a body too slow …); its message is safe.
      return fail(reply, req, "INVALID_REQUEST", err.message);
    }
    req.log.error({ err }, "unhandled error");
    return fail(reply, req, "INTERNAL_ERROR", "an unexpected error occurred; quote the traceId to IconTech support");
  });
  app.setNotFoundHandler((req, reply) => fail(reply, req, "NOT_FOUND", `${req.method.slice(0, 20)} ${req.url.split("?")[0]!.slice(0, 200)} does not exist`));

  // Authentication, then the partner's budget for the route; public routes (health, the document and its page) have neither.
  app.addHook("onRequest", async (req, reply) => {
    const spec = routeOf(req);
    if (!spec?.budget) return;
    const match = /^Bearer +([\x21-\x7e]{1,512})$/i.exec(req.headers.authorization ?? "");
    const caller = match ? await options.partners.authenticate(match[1]!) : undefined;
    if (!caller) {
      if (!options.partners.isLoaded && match) {
        reply.header("retry-after", "1");
        throw new ProblemError("SERVICE_UNAVAILABLE", "API keys cannot be checked yet; retry shortly");
      }
      reply.header("www-authenticate", 'Bearer realm="t2mobile"');
      throw new ProblemError("UNAUTHORIZED", "send your API key as: Authorization: Bearer <key>");
    }
    if (caller.suspended) throw new ProblemError("PARTNER_SUSPENDED", "this partner account is suspended; contact IconTech");
    callers.set(req, caller);
    requestsByPartner.inc({ partner: caller.partnerId, budget: spec.budget });
    const limit = caller.rateLimitPerMinute > 0 ? caller.rateLimitPerMinute : options.rateLimitPerMinute;
    const decision = await options.rateLimiter.take(caller.partnerId, spec.budget, limit);
    reply.header("ratelimit-policy", `"${spec.budget}";q=${limit};w=${WINDOW_SECONDS}`);
    reply.header("ratelimit", `"${spec.budget}";r=${decision.remaining};t=${decision.resetSeconds}`);
    if (!decision.allowed) {
      limited.inc({ partner: caller.partnerId, budget: spec.budget });
      reply.header("retry-after", String(decision.retryAfterSeconds));
      throw new ProblemError("RATE_LIMITED", `at most ${limit} requests a minute for ${spec.budget}; retry after the Retry-After delay`);
    }
  });

  // A body we would have to decode (gzip, br …) is refused before it is read: only identity is accepted.
  app.addHook("preParsing", async (req, _reply, payload) => {
    const encoding = req.headers["content-encoding"];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") {
      throw new ProblemError("UNSUPPORTED_MEDIA_TYPE", "Content-Encoding is not supported: send the JSON body uncompressed");
    }
    return payload;
  });

  const caller = (req: FastifyRequest) => callers.get(req)!;
  const document = JSON.stringify(openApiDocument());
  const documentEtag = etagOf(document);
  const docs = docsAssets();

  /** Shapes a JSON body with the route's documented schema for that status: what is sent is what is documented. */
  const send = (reply: FastifyReply, spec: RouteSpec, status: number, body: unknown) => {
    const schema = spec.responses[status]?.schema;
    if (!schema) throw new Error(`${spec.operationId} has no documented ${status} response`);
    return reply.code(status).type("application/json").send(JSON.stringify(schema.parse(body)));
  };

  const handlers: Record<string, (req: FastifyRequest, reply: FastifyReply, spec: RouteSpec) => Promise<unknown>> = {
    health: async (_req, reply, spec) => {
      const report = await checkReadiness(options.health);
      return send(reply, spec, report.ready ? 200 : 503, { status: report.ready ? "ok" : "unavailable", checks: report.checks });
    },
    openApiDocument: async (req, reply) => {
      reply.header("etag", documentEtag).header("cache-control", "public, max-age=300");
      if (matchesEtag(req.headers["if-none-match"], documentEtag)) return reply.code(304).send();
      return reply.type("application/json").send(document);
    },
    docsPage: async (_req, reply) =>
      reply.header("content-security-policy", DOCS_CSP).header("x-content-type-options", "nosniff").header("cache-control", "no-cache").type(docs.page.contentType).send(docs.page.body),
    listProducts: async (req, reply, spec) => {
      const { products } = await options.catalogue.listProducts({});
      const body = JSON.stringify(spec.responses[200]!.schema!.parse({ products: products.map(productJson) }));
      const etag = etagOf(body);
      reply.header("etag", etag).header("cache-control", `private, max-age=${options.catalogueMaxAgeSeconds ?? 60}`).header("vary", "Authorization");
      if (matchesEtag(req.headers["if-none-match"], etag)) return reply.code(304).send();
      return reply.code(200).type("application/json").send(body);
    },
    placeOrder: async (req, reply, spec) => {
      const partner = caller(req);
      // Every value sent (Node joins repeated unknown headers with ", "; headersDistinct keeps them apart).
      const given = (req.raw.headersDistinct as Record<string, string[]> | undefined)?.["idempotency-key"] ?? req.headers["idempotency-key"];
      const keyHeader = given === undefined ? undefined : Array.isArray(given) ? given : [given];
      const errors: Array<{ field: string; detail: string }> = [];
      if (keyHeader && keyHeader.length > 1) errors.push({ field: "Idempotency-Key", detail: "must be sent once" });
      const idempotencyKey = readIdempotencyKey(keyHeader);
      const keyCheck = IdempotencyKey.safeParse(idempotencyKey);
      if (errors.length === 0 && !keyCheck.success) {
        errors.push({ field: "Idempotency-Key", detail: idempotencyKey === "" ? "the Idempotency-Key header is required" : keyCheck.error.issues[0]!.message });
      }
      const body = OrderRequest.safeParse(req.body);
      if (!body.success) errors.push(...fieldErrors(body.error.issues, "body"));
      if (errors.length > 0 || !body.success) throw new ProblemError("INVALID_REQUEST", "the request is invalid", errors);
      const order = body.data;
      const outcome = await inFlight.run(`${partner.partnerId}\n${idempotencyKey}`, options.idempotencyWaitMs ?? 5_000, () =>
        submitter.submit({
          partnerId: partner.partnerId,
          idempotencyKey,
          orderId: order.orderId,
          productId: order.productId,
          tenure: order.tenure,
          customer: { customerId: order.customerId, name: order.customerName, email: order.customerEmail, phone: order.customerPhone },
          ...(order.renews ? { renews: order.renews } : {}),
        }),
      );
      if (outcome.busy) {
        throw new ProblemError("IDEMPOTENCY_KEY_IN_USE", "a request with this Idempotency-Key is still being processed; retry after the Retry-After delay", undefined, { "retry-after": "1" });
      }
      const { order: stored, isDuplicate } = outcome.value;
      if (!stored) throw new Error("fulfilment returned no order");
      reply.header("location", `/t2mobile/orders/${encodeURIComponent(stored.partnerOrderId || stored.orderId)}`);
      if (isDuplicate) reply.header("idempotent-replayed", "true");
      return send(reply, spec, isDuplicate ? 200 : 202, { ...orderJson(stored), isDuplicate });
    },
    getOrder: async (req, reply, spec) => {
      const { orderId } = parse(OrderPath, req.params, "path");
      const { order } = await options.fulfilment.getOrder({ orderId, partnerId: caller(req).partnerId });
      if (!order) throw new Error("fulfilment returned no order");
      return send(reply, spec, 200, orderJson(order));
    },
    listOrders: async (req, reply, spec) => {
      const query = parse(OrderListQuery, req.query, "query");
      const { orders, nextCursor } = await options.fulfilment.listOrders({
        partnerId: caller(req).partnerId,
        status: query.status ? STATUS_TO_PROTO[query.status] : OrderStatus.UNSPECIFIED,
        updatedSince: query.since ? timestampFromDate(new Date(query.since)) : undefined,
        cursor: query.cursor ?? "",
        limit: query.limit ?? 0,
      });
      return send(reply, spec, 200, { orders: orders.map(orderJson), nextCursor: nextCursor || null });
    },
    getSubscription: async (req, reply, spec) => {
      const { reference } = parse(SubscriptionPath, req.params, "path");
      const { subscription } = await options.subscriptions.lookupSubscription({ reference, partnerId: caller(req).partnerId });
      if (!subscription) throw new Error("provisioning returned no subscription");
      return send(reply, spec, 200, subscriptionJson(subscription, true));
    },
    listCustomerSubscriptions: async (req, reply, spec) => {
      const { customerId } = parse(CustomerPath, req.params, "path");
      const { subscriptions } = await options.subscriptions.listCustomerSubscriptions({ customerId, partnerId: caller(req).partnerId });
      return send(reply, spec, 200, { customerId, subscriptions: subscriptions.map((s) => subscriptionJson(s, false)) });
    },
    // Idempotent: revoking a revoked subscription answers it as it is (200 both times).
    revokeSubscription: async (req, reply, spec) => {
      const { reference } = parse(SubscriptionPath, req.params, "path");
      const body = parse(RevokeRequest, req.body ?? {}, "body");
      const { subscription, alreadyRevoked } = await options.subscriptions.revokeSubscription({ reference, reason: body.reason, partnerId: caller(req).partnerId });
      if (!subscription) throw new Error("provisioning returned no subscription");
      return send(reply, spec, 200, { ...subscriptionJson(subscription, true), alreadyRevoked });
    },
  };

  for (const spec of ROUTES) {
    const handler = handlers[spec.operationId];
    if (!handler) throw new Error(`no handler for ${spec.operationId}`);
    app.route({ method: spec.method, url: spec.url, config: { spec }, handler: (req, reply) => handler(req, reply, spec) });
  }
  // The page's own files (not API operations).
  app.get<{ Params: { file: string } }>("/t2mobile/docs/:file", async (req, reply) => {
    const file = docs.files.get(req.params.file);
    if (!file) return fail(reply, req, "NOT_FOUND", `GET ${req.url.split("?")[0]!.slice(0, 200)} does not exist`);
    reply.header("etag", file.etag).header("cache-control", "public, max-age=3600").header("x-content-type-options", "nosniff");
    if (matchesEtag(req.headers["if-none-match"], file.etag)) return reply.code(304).send();
    return reply.type(file.contentType).send(file.body);
  });

  await app.ready();
  return app;
}

export type { Budget };
