// The gateway's routes with Fastify inject and the services on in-memory
// Connect transports: orders that arrive together reach fulfilment in one
// SubmitOrders call, each with its own answer.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { createLogger, createMetrics, errorStatusOf, reasonedError } from "@t2m/platform";
import { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import { FulfilmentService, OrderSchema, OrderStatus, SubmitOrderResultSchema, type SubmitOrderRequest } from "@t2m/proto/fulfilment/v1/fulfilment";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { SubscriptionChangeKind, SubscriptionSchema, SubscriptionService, SubscriptionStatus } from "@t2m/proto/provisioning/v1/provisioning";
import { describe, expect, it } from "vitest";
import { buildGateway } from "./app.js";

const API_KEY = "test_key_0123456789abcdef";

const subscription = (status: SubscriptionStatus) =>
  create(SubscriptionSchema, {
    orderId: "T2M1",
    activationReference: "ZL-CRMSTD-1",
    status,
    productId: "ZOHO_CRM_STD",
    tenure: "12_MONTHS",
    customerId: "C1",
    customerEmail: "ada@example.com",
    startDate: timestampFromDate(new Date("2026-12-01T10:00:00Z")),
    expiryDate: timestampFromDate(new Date("2027-12-01T10:00:00Z")),
    revocationReason: status === SubscriptionStatus.REVOKED ? "chargeback" : "",
    history: [{ version: 1, kind: SubscriptionChangeKind.ACTIVATED, status: SubscriptionStatus.ACTIVE, orderId: "T2M1", tenure: "12_MONTHS", periodEnd: timestampFromDate(new Date("2027-12-01T10:00:00Z")) }],
  });

async function gateway() {
  const batches: string[][] = [];
  const submitted: SubmitOrderRequest[] = [];
  const revocations: Array<{ reference: string; reason: string }> = [];
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
          submitted.push(...req.orders);
          // Answer slowly enough for the next requests to queue behind this batch.
          await new Promise((r) => setTimeout(r, 50));
          return { results: req.orders.map(answer) };
        },
        getOrder: () => ({}),
      }),
    ),
  );
  const catalogue = createClient(CatalogueService, createRouterTransport((router) => router.service(CatalogueService, { listProducts: () => ({}), getProduct: () => ({}) })));
  const known = (reference: string) => {
    if (reference !== "T2M1" && reference !== "ZL-CRMSTD-1") throw reasonedError(Code.NotFound, "SUBSCRIPTION_NOT_FOUND", `no subscription "${reference}"`);
  };
  const subscriptions = createClient(
    SubscriptionService,
    createRouterTransport((router) =>
      router.service(SubscriptionService, {
        lookupSubscription: (req) => (known(req.reference), { subscription: subscription(SubscriptionStatus.ACTIVE) }),
        listCustomerSubscriptions: (req) => ({ subscriptions: req.customerId === "C1" ? [subscription(SubscriptionStatus.ACTIVE)] : [] }),
        revokeSubscription: (req) => {
          known(req.reference);
          revocations.push({ reference: req.reference, reason: req.reason });
          return { subscription: subscription(SubscriptionStatus.REVOKED), alreadyRevoked: revocations.length > 1 };
        },
        prepareRenewal: () => ({}),
        renewSubscription: () => ({}),
      }),
    ),
  );
  const app = await buildGateway({
    logger: createLogger("gateway-test", process.env.GW_LOG ?? "silent"),
    registry: createMetrics("gateway-test").registry,
    partners: { authenticate: async (key) => (key === API_KEY ? { partnerId: "t2mobile", keyId: "k1", suspended: false, rateLimitPerMinute: 0 } : undefined), isLoaded: true },
    rateLimiter: { take: async (_p, _b, limit) => ({ allowed: true, limit, remaining: limit - 1, resetSeconds: 60, retryAfterSeconds: 0 }) },
    catalogue,
    fulfilment,
    subscriptions,
    health: [],
    rateLimitPerMinute: 1_000,
    bodyLimitBytes: 16_384,
    trustProxy: false,
  });
  return { app, batches, submitted, revocations };
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

describe("subscriptions", () => {
  const auth = { authorization: `Bearer ${API_KEY}` };

  it("reads one by activation reference or order id, with its history, or answers a 404 problem", async () => {
    const { app } = await gateway();
    for (const reference of ["ZL-CRMSTD-1", "T2M1"]) {
      const res = await app.inject({ method: "GET", url: `/t2mobile/subscriptions/${reference}`, headers: auth });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        orderId: "T2M1",
        activationReference: "ZL-CRMSTD-1",
        status: "ACTIVE",
        expiryDate: "2027-12-01T10:00:00.000Z",
        revokedAt: null,
        history: [{ version: 1, change: "ACTIVATED", status: "ACTIVE", orderId: "T2M1", periodEnd: "2027-12-01T10:00:00.000Z" }],
      });
    }
    const missing = await app.inject({ method: "GET", url: "/t2mobile/subscriptions/ZL-NOPE", headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["content-type"]).toContain("application/problem+json");
    expect(missing.json()).toMatchObject({ code: "SUBSCRIPTION_NOT_FOUND", status: 404 });
    await app.close();
  });

  it("lists a customer's subscriptions", async () => {
    const { app } = await gateway();
    const res = await app.inject({ method: "GET", url: "/t2mobile/customers/C1/subscriptions", headers: auth });
    expect(res.json()).toMatchObject({ customerId: "C1", subscriptions: [{ orderId: "T2M1", status: "ACTIVE" }] });
    expect(res.json().subscriptions[0].history).toBeUndefined();
    expect((await app.inject({ method: "GET", url: "/t2mobile/customers/C9/subscriptions", headers: auth })).json()).toEqual({ customerId: "C9", subscriptions: [] });
    await app.close();
  });

  it("revokes with a reason, idempotently; no reason is a 400 problem", async () => {
    const { app, revocations } = await gateway();
    const revoke = (reference: string, payload: unknown) =>
      app.inject({ method: "POST", url: `/t2mobile/subscriptions/${reference}/revoke`, headers: { ...auth, "content-type": "application/json" }, payload: payload as object });
    const first = await revoke("ZL-CRMSTD-1", { reason: "chargeback" });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ status: "REVOKED", revocationReason: "chargeback", alreadyRevoked: false });
    expect((await revoke("ZL-CRMSTD-1", { reason: "chargeback" })).json()).toMatchObject({ status: "REVOKED", alreadyRevoked: true });
    const invalid = await revoke("ZL-CRMSTD-1", {});
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ code: "INVALID_REQUEST", errors: [{ field: "reason" }] });
    expect((await revoke("ZL-NOPE", { reason: "x" })).statusCode).toBe(404);
    expect(revocations.map((r) => r.reason)).toEqual(["chargeback", "chargeback"]);
    await app.close();
  });

  it("passes a renewal's renews on to fulfilment, and refuses one that is not a string", async () => {
    const { app, submitted } = await gateway();
    const order = { orderId: "R1", productId: "ZOHO_CRM_STD", customerId: "C1", customerName: "Ada", customerEmail: "ada@example.com", customerPhone: "08012345678", tenure: "12_MONTHS" };
    const headers = { ...auth, "idempotency-key": "k-R1", "content-type": "application/json" };
    expect((await app.inject({ method: "POST", url: "/t2mobile/fulfilment", headers, payload: { ...order, renews: "ZL-CRMSTD-1" } })).statusCode).toBe(202);
    expect(submitted.at(-1)?.renews).toBe("ZL-CRMSTD-1");
    const bad = await app.inject({ method: "POST", url: "/t2mobile/fulfilment", headers: { ...headers, "idempotency-key": "k-R2" }, payload: { ...order, orderId: "R2", renews: 7 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([{ field: "renews", detail: "must be a string, not a number" }]);
    await app.close();
  });
});
