// The gateway's routes with Fastify inject and the services on in-memory
// Connect transports: orders that arrive together reach fulfilment in one
// SubmitOrders call, each with its own answer.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { createLogger, createMetrics, errorStatusOf, reasonedError } from "@t2m/platform";
import { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import { FulfilmentService, OrderSchema, OrderStatus, SubmitOrderResultSchema, type SubmitOrderRequest } from "@t2m/proto/fulfilment/v1/fulfilment";
import { describe, expect, it } from "vitest";
import { buildGateway } from "./app.js";

const API_KEY = "test_key_0123456789abcdef";

async function gateway() {
  const batches: string[][] = [];
  const answer = (req: SubmitOrderRequest) =>
    req.productId === "ZOHO_NOPE"
      ? create(SubmitOrderResultSchema, { result: { case: "error", value: errorStatusOf(reasonedError(Code.FailedPrecondition, "PRODUCT_NOT_FOUND", "unknown")) } })
      : create(SubmitOrderResultSchema, {
          result: { case: "accepted", value: { order: create(OrderSchema, { orderId: req.orderId, status: OrderStatus.PENDING }), isDuplicate: false } },
        });
  const fulfilment = createClient(
    FulfilmentService,
    createRouterTransport((router) =>
      router.service(FulfilmentService, {
        submitOrder: () => {
          throw new ConnectError("the gateway batches its submissions", Code.Unimplemented);
        },
        submitOrders: async (req) => {
          batches.push(req.orders.map((o) => o.orderId));
          // Answer slowly enough for the next requests to queue behind this batch.
          await new Promise((r) => setTimeout(r, 50));
          return { results: req.orders.map(answer) };
        },
        getOrder: () => ({}),
      }),
    ),
  );
  const catalogue = createClient(CatalogueService, createRouterTransport((router) => router.service(CatalogueService, { listProducts: () => ({}), getProduct: () => ({}) })));
  const app = await buildGateway({
    logger: createLogger("gateway-test", process.env.GW_LOG ?? "silent"),
    registry: createMetrics("gateway-test").registry,
    partners: { authenticate: async (key) => (key === API_KEY ? { partnerId: "t2mobile", keyId: "k1", suspended: false, rateLimitPerMinute: 0 } : undefined), isLoaded: true },
    rateLimiter: { take: async (_p, _b, limit) => ({ allowed: true, limit, remaining: limit - 1, resetSeconds: 60, retryAfterSeconds: 0 }) },
    catalogue,
    fulfilment,
    health: [],
    rateLimitPerMinute: 1_000,
    bodyLimitBytes: 16_384,
    trustProxy: false,
  });
  return { app, batches };
}

const post = (app: Awaited<ReturnType<typeof gateway>>["app"], orderId: string, productId = "ZOHO_CRM_STD") =>
  app.inject({
    method: "POST",
    url: "/t2mobile/fulfilment",
    headers: { authorization: `Bearer ${API_KEY}`, "idempotency-key": `k-${orderId}`, "content-type": "application/json" },
    payload: { orderId, productId, customerId: "C1", customerName: "Ada", customerEmail: "ada@example.com", customerPhone: "08012345678", tenure: "12_MONTHS" },
  });

describe("POST /t2mobile/fulfilment", () => {
  it("sends orders that arrive together in one SubmitOrders call, each answered on its own", async () => {
    const { app, batches } = await gateway();
    const ids = ["A1", "A2", "A3", "A4", "A5", "A6"];
    const responses = await Promise.all([...ids.map((id) => post(app, id)), post(app, "BAD1", "ZOHO_NOPE")]);
    expect(responses.slice(0, 6).map((r) => r.statusCode)).toEqual([202, 202, 202, 202, 202, 202]);
    expect(responses.slice(0, 6).map((r) => r.json().orderId)).toEqual(ids);
    expect(responses[6]!.statusCode).toBe(422);
    expect(responses[6]!.json()).toMatchObject({ code: "PRODUCT_NOT_FOUND" });
    // The first goes alone (nothing was in flight); the rest wait for it and go together.
    expect(batches.flat().sort()).toEqual([...ids, "BAD1"].sort());
    expect(batches.length).toBeLessThan(7);
    await app.close();
  });
});
