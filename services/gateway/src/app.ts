import { createHash, timingSafeEqual } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import { trace } from "@opentelemetry/api";
import type { Client } from "@connectrpc/connect";
import { checkReadiness, ConnectError, type Logger, type ReadinessCheck, type Registry } from "@t2m/platform";
import type { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import type { FulfilmentService } from "@t2m/proto/fulfilment/v1/fulfilment";
import type { SubscriptionService } from "@t2m/proto/provisioning/v1/provisioning";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { Histogram } from "prom-client";
import { problem, PROBLEM_CONTENT_TYPE, type Problem, type ProblemCode } from "./domain/problem.js";
import { readIdempotencyKey, readOrderBody, readRevokeBody } from "./domain/rest-order.js";
import { problemFromRpc } from "./adapters/rpc-problems.js";
import { orderJson, productJson, subscriptionJson } from "./adapters/views.js";
import { OrderSubmitter } from "./adapters/order-submitter.js";

export interface GatewayOptions {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly apiKey: string;
  readonly catalogue: Client<typeof CatalogueService>;
  readonly fulfilment: Client<typeof FulfilmentService>;
  /** Provisioning's subscriptions: reads and revocation. */
  readonly subscriptions: Client<typeof SubscriptionService>;
  /** What GET /t2mobile/health reports on. */
  readonly health: readonly ReadinessCheck[];
  readonly rateLimitPerMinute: number;
  readonly bodyLimitBytes: number;
  readonly trustProxy: boolean;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/** T2Mobile's REST API under /t2mobile, backed by the Catalogue and Fulfilment services. */
export async function buildGateway(options: GatewayOptions) {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes,
    trustProxy: options.trustProxy,
    // Request ids let a support case be matched to our logs.
    requestIdHeader: "x-request-id",
  });

  const submitter = new OrderSubmitter(options.fulfilment, { maxBatch: 128, maxInFlight: 2 });
  const expectedKey = digest(options.apiKey);
  // Constant-time comparison of digests: timing reveals nothing about the key.
  const authorised = (req: FastifyRequest) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    return match !== null && timingSafeEqual(digest(match[1]!), expectedKey);
  };

  const traceId = () => trace.getActiveSpan()?.spanContext().traceId;
  const sendProblem = (reply: FastifyReply, body: Problem) =>
    reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
  const fail = (reply: FastifyReply, req: FastifyRequest, code: ProblemCode, detail: string, errors?: Problem["errors"]) =>
    sendProblem(reply, problem(code, detail, { instance: req.url, errors, traceId: traceId() }));

  const requestSeconds = new Histogram({
    name: "t2m_gateway_request_duration_seconds",
    help: "T2Mobile API requests, by route, method and status",
    labelNames: ["route", "method", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [options.registry],
  });
  app.addHook("onResponse", async (req, reply) => {
    requestSeconds.observe(
      { route: req.routeOptions.url ?? "unmatched", method: req.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof ConnectError) {
      const body = problemFromRpc(err, req.url, traceId());
      if (body.status >= 500) req.log.error({ err }, "downstream call failed");
      return sendProblem(reply, body);
    }
    if (err.code === "FST_ERR_CTP_INVALID_JSON_BODY" || err.code === "FST_ERR_CTP_EMPTY_JSON_BODY" || err instanceof SyntaxError) {
      return fail(reply, req, "MALFORMED_JSON", "the body could not be parsed as JSON");
    }
    if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      return fail(reply, req, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json");
    }
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return fail(reply, req, "PAYLOAD_TOO_LARGE", `the body must be at most ${options.bodyLimitBytes} bytes`);
    }
    if (err.statusCode === 429) {
      return fail(reply, req, "RATE_LIMITED", `at most ${options.rateLimitPerMinute} requests a minute; retry after the Retry-After delay`);
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return fail(reply, req, "INVALID_REQUEST", err.message);
    }
    req.log.error({ err }, "unhandled error");
    return fail(reply, req, "INTERNAL_ERROR", "an unexpected error occurred; quote the traceId to IconTech support");
  });
  app.setNotFoundHandler((req, reply) => fail(reply, req, "NOT_FOUND", `${req.method} ${req.url.split("?")[0]} does not exist`));

  // Health is public: load balancers and T2Mobile's monitors call it without a key.
  app.get("/t2mobile/health", async (_req, reply) => {
    const report = await checkReadiness(options.health);
    return reply.code(report.ready ? 200 : 503).send({ status: report.ready ? "ok" : "unavailable", checks: report.checks });
  });

  await app.register(async (api) => {
    await api.register(rateLimit, {
      max: options.rateLimitPerMinute,
      timeWindow: 60_000,
      // Limit per caller: by key digest when authenticated, else by address.
      keyGenerator: (req) => (authorised(req) ? "key" : `ip:${req.ip}`),
    });
    api.addHook("onRequest", async (req, reply) => {
      if (!authorised(req)) {
        reply.header("www-authenticate", 'Bearer realm="t2mobile"');
        return fail(reply, req, "UNAUTHORIZED", "send the API key as: Authorization: Bearer <key>");
      }
    });

    api.get("/t2mobile/products", async () => {
      const { products } = await options.catalogue.listProducts({});
      return { products: products.map(productJson) };
    });

    api.post("/t2mobile/fulfilment", async (req, reply) => {
      const idempotencyKey = readIdempotencyKey(req.headers["idempotency-key"]);
      const body = readOrderBody(req.body);
      const errors = [
        ...(idempotencyKey === "" ? [{ field: "Idempotency-Key", detail: "the Idempotency-Key header is required" }] : []),
        ...(body.ok ? [] : body.errors),
      ];
      if (!body.ok || errors.length > 0) return fail(reply, req, "INVALID_REQUEST", "the request is invalid", errors);
      const { order, isDuplicate } = await submitter.submit({
        idempotencyKey,
        orderId: body.body.orderId,
        productId: body.body.productId,
        tenure: body.body.tenure,
        customer: {
          customerId: body.body.customerId,
          name: body.body.customerName,
          email: body.body.customerEmail,
          phone: body.body.customerPhone,
        },
        ...(body.body.renews ? { renews: body.body.renews } : {}),
      });
      if (!order) throw new Error("fulfilment returned no order");
      return reply
        .code(isDuplicate ? 200 : 202)
        .header("location", `/t2mobile/orders/${encodeURIComponent(order.orderId)}`)
        .send({ ...orderJson(order), isDuplicate });
    });

    api.get<{ Params: { orderId: string } }>("/t2mobile/orders/:orderId", async (req) => {
      const { order } = await options.fulfilment.getOrder({ orderId: req.params.orderId });
      if (!order) throw new Error("fulfilment returned no order");
      return orderJson(order);
    });
    // A subscription by its activation reference or the id of the order that created it, with its history.
    api.get<{ Params: { reference: string } }>("/t2mobile/subscriptions/:reference", async (req) => {
      const { subscription } = await options.subscriptions.lookupSubscription({ reference: req.params.reference });
      if (!subscription) throw new Error("provisioning returned no subscription");
      return subscriptionJson(subscription, true);
    });
    api.get<{ Params: { customerId: string } }>("/t2mobile/customers/:customerId/subscriptions", async (req) => {
      const { subscriptions } = await options.subscriptions.listCustomerSubscriptions({ customerId: req.params.customerId });
      return { customerId: req.params.customerId, subscriptions: subscriptions.map((s) => subscriptionJson(s, false)) };
    });
    // Idempotent: revoking a revoked subscription answers it as it is (200 both times).
    api.post<{ Params: { reference: string } }>("/t2mobile/subscriptions/:reference/revoke", async (req, reply) => {
      const body = readRevokeBody(req.body ?? {});
      if (!body.ok) return fail(reply, req, "INVALID_REQUEST", "the request is invalid", body.errors);
      const { subscription, alreadyRevoked } = await options.subscriptions.revokeSubscription({ reference: req.params.reference, reason: body.reason });
      if (!subscription) throw new Error("provisioning returned no subscription");
      return { ...subscriptionJson(subscription, true), alreadyRevoked };
    });
  });

  await app.ready();
  return app;
}
