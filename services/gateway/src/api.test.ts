// The REST API's edges with Fastify inject: the content encodings and types it refuses, an
// Idempotency-Key still in flight, the catalogue's ETag, the document and its page.
import { create } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { createLogger, createMetrics } from "@t2m/platform";
import { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import { FulfilmentService, OrderSchema, OrderStatus, SubmitOrderResultSchema } from "@t2m/proto/fulfilment/v1/fulfilment";
import { SubscriptionService } from "@t2m/proto/provisioning/v1/provisioning";
import { describe, expect, it } from "vitest";
import { buildGateway } from "./app.js";
import { MemoryWindowStore, RateLimiter } from "./adapters/rate-limiter.js";

const KEY = "test_key_0123456789abcdef";
const order = { orderId: "A1", productId: "ZOHO_CRM_STD", customerId: "C1", customerName: "Ada", customerEmail: "ada@example.com", customerPhone: "08012345678", tenure: "12_MONTHS" };

async function gateway(options: { submitDelayMs?: number; idempotencyWaitMs?: number; limit?: number } = {}) {
  const submitted: string[] = [];
  const fulfilment = createClient(
    FulfilmentService,
    createRouterTransport((router) =>
      router.service(FulfilmentService, {
        submitOrders: async (req) => {
          await new Promise((r) => setTimeout(r, options.submitDelayMs ?? 0));
          return {
            results: req.orders.map((o) => {
              const duplicate = submitted.includes(`${o.partnerId}/${o.idempotencyKey}`);
              submitted.push(`${o.partnerId}/${o.idempotencyKey}`);
              return create(SubmitOrderResultSchema, {
                result: { case: "accepted", value: { order: create(OrderSchema, { orderId: o.orderId, partnerOrderId: o.orderId, partnerId: o.partnerId, status: OrderStatus.PENDING, productId: o.productId, tenure: o.tenure }), isDuplicate: duplicate } },
              });
            }),
          };
        },
      }),
    ),
  );
  const catalogue = createClient(
    CatalogueService,
    createRouterTransport((router) =>
      router.service(CatalogueService, { listProducts: () => ({ products: [{ productId: "ZOHO_CRM_STD", name: "CRM", description: "", tenures: [] }] }) }),
    ),
  );
  const registry = createMetrics("gateway-api-test").registry;
  const app = await buildGateway({
    logger: createLogger("gateway-test", "silent"),
    registry,
    partners: { authenticate: async (key) => (key === KEY ? { partnerId: "acme", keyId: "k1", suspended: false, rateLimitPerMinute: options.limit ?? 0 } : undefined), isLoaded: true },
    rateLimiter: new RateLimiter(new MemoryWindowStore(), createLogger("x", "silent"), registry),
    catalogue,
    fulfilment,
    // Not called here (app.test.ts covers the subscription routes).
    subscriptions: createClient(SubscriptionService, createRouterTransport(() => undefined)),
    health: [],
    rateLimitPerMinute: 1_000,
    bodyLimitBytes: 16_384,
    trustProxy: false,
    idempotencyWaitMs: options.idempotencyWaitMs ?? 5_000,
  });
  return { app, submitted };
}

const post = (app: Awaited<ReturnType<typeof gateway>>["app"], headers: Record<string, string> = {}, payload: string = JSON.stringify(order)) =>
  app.inject({ method: "POST", url: "/t2mobile/fulfilment", headers: { authorization: `Bearer ${KEY}`, "idempotency-key": "k-1", "content-type": "application/json", ...headers }, payload });

describe("the REST API's edges", () => {
  it("refuses a body with a Content-Encoding it does not decode, or in another type or charset, with 415", async () => {
    const { app, submitted } = await gateway();
    for (const headers of [{ "content-encoding": "gzip" }, { "content-encoding": "br" }, { "content-type": "text/plain" }, { "content-type": "application/json; charset=latin1" }] as Array<Record<string, string>>) {
      const res = await post(app, headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(415);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.json()).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE" });
    }
    expect((await post(app, { "content-encoding": "identity" })).statusCode).toBe(202);
    expect(submitted).toHaveLength(1);
    await app.close();
  });

  it("refuses bytes that are not UTF-8 rather than decoding them", async () => {
    const { app, submitted } = await gateway();
    const res = await app.inject({
      method: "POST",
      url: "/t2mobile/fulfilment",
      headers: { authorization: `Bearer ${KEY}`, "idempotency-key": "k-2", "content-type": "application/json" },
      payload: Buffer.concat([Buffer.from('{"orderId":"A'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: "MALFORMED_JSON" });
    expect(submitted).toHaveLength(0);
    await app.close();
  });

  it("lists unknown fields, wrong types and a bad Idempotency-Key together", async () => {
    const { app } = await gateway();
    const res = await post(app, { "idempotency-key": "has space" }, JSON.stringify({ ...order, orderId: { $ne: null }, extra: 1 }));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { field: "Idempotency-Key", detail: "must be 1 to 255 printable ASCII characters, without spaces" },
      { field: "orderId", detail: "must be a string, not an object" },
      { field: "extra", detail: "is not a field of an order" },
    ]);
    await app.close();
  });

  it("a request whose Idempotency-Key is still in flight waits for it, and past the wait answers 409 with Retry-After", async () => {
    const waiting = await gateway({ submitDelayMs: 200, idempotencyWaitMs: 5_000 });
    const both = await Promise.all([post(waiting.app), post(waiting.app)]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 202]);
    expect(both.find((r) => r.statusCode === 200)!.headers["idempotent-replayed"]).toBe("true");
    await waiting.app.close();

    const impatient = await gateway({ submitDelayMs: 300, idempotencyWaitMs: 20 });
    const [first, second] = await Promise.all([post(impatient.app), post(impatient.app)]);
    expect(first!.statusCode).toBe(202);
    expect(second!.statusCode).toBe(409);
    expect(second!.json()).toMatchObject({ code: "IDEMPOTENCY_KEY_IN_USE" });
    expect(Number(second!.headers["retry-after"])).toBeGreaterThan(0);
    // Another partner's key, or another key, never waits.
    expect((await post(impatient.app, { "idempotency-key": "k-other" })).statusCode).toBe(202);
    await impatient.app.close();
  });

  it("answers the catalogue with an ETag and Cache-Control, and 304 to If-None-Match", async () => {
    const { app } = await gateway();
    const first = await app.inject({ method: "GET", url: "/t2mobile/products", headers: { authorization: `Bearer ${KEY}` } });
    expect(first.statusCode).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(first.headers["cache-control"]).toMatch(/max-age=\d+/);
    const again = await app.inject({ method: "GET", url: "/t2mobile/products", headers: { authorization: `Bearer ${KEY}`, "if-none-match": `W/${etag}` } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
    expect(again.headers.etag).toBe(etag);
    await app.close();
  });

  it("sends RateLimit headers and 429 with Retry-After past the partner's limit; health is never limited", async () => {
    const { app } = await gateway({ limit: 2 });
    const get = () => app.inject({ method: "GET", url: "/t2mobile/products", headers: { authorization: `Bearer ${KEY}` } });
    const [a, b, c] = [await get(), await get(), await get()];
    expect([a.statusCode, b.statusCode, c.statusCode]).toEqual([200, 200, 429]);
    expect(a.headers["ratelimit-policy"]).toBe('"reads";q=2;w=60');
    expect(a.headers.ratelimit).toMatch(/^"reads";r=1;t=\d+$/);
    expect(c.json()).toMatchObject({ code: "RATE_LIMITED" });
    expect(Number(c.headers["retry-after"])).toBeGreaterThan(0);
    // Orders have their own budget.
    expect((await post(app)).statusCode).toBe(202);
    for (let i = 0; i < 5; i++) expect((await app.inject({ method: "GET", url: "/t2mobile/health" })).statusCode).toBe(200);
    await app.close();
  });

  it("serves the OpenAPI document and its page, with no resource from elsewhere", async () => {
    const { app } = await gateway();
    const doc = await app.inject({ method: "GET", url: "/t2mobile/openapi.json" });
    expect(doc.statusCode).toBe(200);
    expect(doc.json()).toMatchObject({ openapi: "3.1.0" });
    const page = await app.inject({ method: "GET", url: "/t2mobile/docs" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    const srcs = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(srcs.every((s) => s.startsWith("/t2mobile/docs/"))).toBe(true);
    for (const src of srcs) expect((await app.inject({ method: "GET", url: src })).statusCode).toBe(200);
    await app.close();
  });
});
