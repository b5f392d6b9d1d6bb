// FulfilmentService's routes on an in-memory transport, with the intake and
// the store faked: how submissions and rejections reach a Connect caller.
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { createMetrics, createLogger, fieldViolationsOf, reasonOf } from "@t2m/platform";
import { FulfilmentService, OrderStatus } from "@t2m/proto/fulfilment/v1/fulfilment";
import { describe, expect, it } from "vitest";
import { CatalogueNotLoaded } from "./adapters/catalogue-offers.js";
import type { AcceptedOrder } from "./adapters/intake.js";
import { OfferBook } from "./domain/offers.js";
import { OrderRejected, type OrderRecord } from "./domain/order.js";
import { createFulfilmentMetrics } from "./metrics.js";
import { fulfilmentRoutes } from "./routes.js";

const book = new OfferBook([
  {
    productId: "ZOHO_CRM_STD",
    name: "Zoho CRM Standard",
    zohoItemSku: "ZOHO-CRM-STD",
    tenures: [{ tenure: "12_MONTHS", months: 12, price: { currencyCode: "NGN", amountMinor: 21_600_000 }, renewalPrice: { currencyCode: "NGN", amountMinor: 19_900_000 } }],
  },
]);

function client(options: { loaded?: boolean; stored?: OrderRecord[]; subscriptions?: Record<string, string | OrderRejected> } = {}) {
  const accepted: OrderRecord[] = [];
  const renewalChecks: string[] = [];
  const redrives: Array<{ orderId: string; attempt: number }> = [];
  const stored = new Map((options.stored ?? []).map((o) => [o.orderId, o]));
  const transport = createRouterTransport(
    fulfilmentRoutes({
      intake: {
        accept: async (order): Promise<AcceptedOrder> => {
          const existing = [...accepted].find((o) => o.idempotencyKey === order.idempotencyKey);
          if (existing) return { order: existing, duplicate: true };
          accepted.push(order);
          return { order, duplicate: false };
        },
      },
      store: { read: async (id) => stored.get(id), changedOn: async () => [] },
      offers: {
        find: (p, t) => {
          if (options.loaded === false) throw new CatalogueNotLoaded();
          return book.find(p, t);
        },
      },
      renewals: {
        prepare: async (order) => {
          renewalChecks.push(order.orderId);
          const known = options.subscriptions?.[order.renews!.reference];
          if (known instanceof OrderRejected) throw known;
          if (known === undefined) throw new OrderRejected("RENEWED_SUBSCRIPTION_NOT_FOUND", "no such subscription");
          return known;
        },
      },
      redrive: async (orderId, attempt) => {
        const duplicate = redrives.some((r) => r.orderId === orderId && r.attempt === attempt);
        redrives.push({ orderId, attempt });
        return { duplicate };
      },
      metrics: createFulfilmentMetrics(createMetrics("test").registry),
      logger: createLogger("test", "silent"),
    }),
  );
  return { api: createClient(FulfilmentService, transport), accepted, renewalChecks, redrives };
}

const request = {
  idempotencyKey: "key-1",
  orderId: "T2M1",
  productId: "ZOHO_CRM_STD",
  tenure: "12_MONTHS",
  customer: { customerId: "C1", name: "Ada", email: "ada@example.com", phone: "08012345678" },
};

async function connectError(promise: Promise<unknown>): Promise<ConnectError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConnectError);
  return err as ConnectError;
}

describe("FulfilmentService routes", () => {
  it("accepts an order priced from the offers in memory, and replays it under the same key", async () => {
    const { api, accepted } = client();
    const first = await api.submitOrder(request);
    expect(first.isDuplicate).toBe(false);
    expect(first.order).toMatchObject({ orderId: "T2M1", status: OrderStatus.PENDING, price: { currencyCode: "NGN", amountMinor: 21_600_000n } });
    expect((await api.submitOrder(request)).isDuplicate).toBe(true);
    expect(accepted).toHaveLength(1);
  });

  it("answers INVALID_ARGUMENT with one violation per field, and FAILED_PRECONDITION for an unknown product", async () => {
    const { api, accepted } = client();
    const invalid = await connectError(api.submitOrder({ ...request, orderId: "", customer: { ...request.customer, email: "x" } }));
    expect(invalid.code).toBe(Code.InvalidArgument);
    expect(fieldViolationsOf(invalid).map((v) => v.field)).toEqual(["orderId", "customerEmail"]);
    const unknown = await connectError(api.submitOrder({ ...request, productId: "ZOHO_NOPE" }));
    expect([unknown.code, reasonOf(unknown)]).toEqual([Code.FailedPrecondition, "PRODUCT_NOT_FOUND"]);
    expect(accepted).toHaveLength(0);
  });

  it("checks a renewal's subscription once at intake, prices it at the renewal price, and refuses what cannot be renewed", async () => {
    const { api, accepted, renewalChecks } = client({
      subscriptions: { "ZL-CRMSTD-1": "T2M0", "ZL-REVOKED": new OrderRejected("SUBSCRIPTION_REVOKED", "revoked") },
    });
    await api.submitOrder(request);
    expect(renewalChecks).toEqual([]);
    const renewal = await api.submitOrder({ ...request, idempotencyKey: "key-2", orderId: "T2M2", renews: "ZL-CRMSTD-1" });
    expect(renewal.order).toMatchObject({ renews: "ZL-CRMSTD-1", renewsSubscriptionId: "T2M0", price: { amountMinor: 19_900_000n } });
    expect(accepted[1]?.renews).toEqual({ reference: "ZL-CRMSTD-1", subscriptionId: "T2M0" });
    expect(renewalChecks).toEqual(["T2M2"]);
    const revoked = await connectError(api.submitOrder({ ...request, idempotencyKey: "key-3", orderId: "T2M3", renews: "ZL-REVOKED" }));
    expect([revoked.code, reasonOf(revoked)]).toEqual([Code.FailedPrecondition, "SUBSCRIPTION_REVOKED"]);
    const unknown = await connectError(api.submitOrder({ ...request, idempotencyKey: "key-4", orderId: "T2M4", renews: "ZL-NOPE" }));
    expect([unknown.code, reasonOf(unknown)]).toEqual([Code.FailedPrecondition, "RENEWED_SUBSCRIPTION_NOT_FOUND"]);
    // A bad reference is a field error, found before any call.
    const invalid = await connectError(api.submitOrder({ ...request, idempotencyKey: "key-5", orderId: "T2M5", renews: "no spaces allowed" }));
    expect(fieldViolationsOf(invalid).map((v) => v.field)).toEqual(["renews"]);
    expect(renewalChecks).toEqual(["T2M2", "T2M3", "T2M4"]);
    expect(accepted).toHaveLength(2);
  });

  it("answers UNAVAILABLE until the catalogue's offers are loaded", async () => {
    const { api } = client({ loaded: false });
    expect((await connectError(api.submitOrder(request))).code).toBe(Code.Unavailable);
  });

  it("reads an order, with its public failure message and internal detail, or NOT_FOUND", async () => {
    const t = new Date("2026-11-27T10:00:00Z");
    const failed: OrderRecord = {
      ...(await import("./domain/order.fixtures.js")).sampleOrder({ orderId: "F1" }),
      status: "FAILED",
      attempts: 1,
      failureCode: "PRODUCT_UNAVAILABLE",
      failureDetail: "sales-order: FAILED_PRECONDITION ZOHO_ITEM_MISSING",
      failedAt: t,
    };
    const { api } = client({ stored: [failed] });
    const { order } = await api.getOrder({ orderId: "F1" });
    expect(order).toMatchObject({ status: OrderStatus.FAILED, failureCode: "PRODUCT_UNAVAILABLE", failureDetail: "sales-order: FAILED_PRECONDITION ZOHO_ITEM_MISSING", attempts: 1 });
    expect(order?.failureReason).toMatch(/cannot be supplied/);
    const missing = await connectError(api.getOrder({ orderId: "nope" }));
    expect([missing.code, reasonOf(missing)]).toEqual([Code.NotFound, "ORDER_NOT_FOUND"]);
  });

  it("re-drives an unfinished order's next attempt for an operator; refuses a finished one; NOT_FOUND for an unknown one", async () => {
    const { sampleOrder } = await import("./domain/order.fixtures.js");
    const waiting: OrderRecord = { ...sampleOrder({ orderId: "W1" }), status: "PROCESSING", attempts: 2, nextAttemptAt: new Date(Date.now() + 3_600_000) };
    const fulfilled: OrderRecord = { ...sampleOrder({ orderId: "D1" }), status: "FULFILLED", attempts: 1 };
    const { api, redrives } = client({ stored: [waiting, fulfilled] });

    const first = await api.retryOrder({ orderId: "W1" });
    expect([first.attempt, first.duplicate, first.order?.status]).toEqual([3, false, OrderStatus.PROCESSING]);
    expect((await api.retryOrder({ orderId: "W1" })).duplicate).toBe(true);
    expect(redrives).toEqual([{ orderId: "W1", attempt: 3 }, { orderId: "W1", attempt: 3 }]);

    const finished = await connectError(api.retryOrder({ orderId: "D1" }));
    expect([finished.code, reasonOf(finished)]).toEqual([Code.FailedPrecondition, "ORDER_FINISHED"]);
    expect(finished.rawMessage).toMatch(/FULFILLED/);
    const missing = await connectError(api.retryOrder({ orderId: "nope" }));
    expect([missing.code, reasonOf(missing)]).toEqual([Code.NotFound, "ORDER_NOT_FOUND"]);
    expect(redrives).toHaveLength(2);
  });
});
