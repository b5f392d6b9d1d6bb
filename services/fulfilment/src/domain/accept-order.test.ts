import { describe, expect, it } from "vitest";
import { acceptOrder, type AcceptOrderPorts, type OfferLookup } from "./accept-order.js";
import { OrderRejected, type OrderRecord } from "./order.js";
import type { OrderSubmission } from "./submission.js";

const submission: OrderSubmission = {
  idempotencyKey: "key-1",
  orderId: "T2M1",
  productId: "ZOHO_CRM_STD",
  tenure: "12_MONTHS",
  customer: { customerId: "C1", name: "Ada", email: "ada@example.com", phone: "08012345678" },
};

function harness(options: { announceFails?: boolean } = {}) {
  const byId = new Map<string, OrderRecord>();
  const announced: string[] = [];
  const ports: AcceptOrderPorts = {
    findOffer: async (productId, tenure): Promise<OfferLookup> => {
      if (productId !== "ZOHO_CRM_STD") return "PRODUCT_NOT_FOUND";
      if (tenure !== "12_MONTHS") return "TENURE_NOT_OFFERED";
      return {
        productId,
        productName: "Zoho CRM Standard",
        zohoItemSku: "ZOHO-CRM-STD",
        tenure,
        months: 12,
        price: { currencyCode: "NGN", amountMinor: 21_600_000 },
      };
    },
    findByIdempotencyKey: async (key) => [...byId.values()].find((o) => o.idempotencyKey === key),
    insert: async (order) => {
      if (byId.has(order.orderId) || [...byId.values()].some((o) => o.idempotencyKey === order.idempotencyKey)) return "duplicate";
      byId.set(order.orderId, order);
      return "inserted";
    },
    announce: async (order) => {
      announced.push(order.orderId);
      if (options.announceFails) return;
      byId.set(order.orderId, { ...byId.get(order.orderId)!, submittedPublishedAt: new Date() });
    },
    now: () => new Date("2026-11-27T10:00:00Z"),
  };
  return { ports, byId, announced };
}

async function rejection(promise: Promise<unknown>): Promise<OrderRejected> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OrderRejected);
  return err as OrderRejected;
}

describe("acceptOrder", () => {
  it("stores a PENDING order with the catalogue's price and announces it", async () => {
    const { ports, byId, announced } = harness();
    const { order, duplicate } = await acceptOrder(submission, ports);
    expect(duplicate).toBe(false);
    expect(order).toMatchObject({ status: "PENDING", tenureMonths: 12, price: { amountMinor: 21_600_000 } });
    expect(byId.size).toBe(1);
    expect(announced).toEqual(["T2M1"]);
  });

  it("returns the stored order for the same key and content, storing nothing new", async () => {
    const { ports, byId, announced } = harness();
    await acceptOrder(submission, ports);
    const again = await acceptOrder(submission, ports);
    expect(again.duplicate).toBe(true);
    expect(byId.size).toBe(1);
    expect(announced).toEqual(["T2M1"]);
  });

  it("announces again on a retry when the first announcement never landed", async () => {
    const { ports, announced } = harness({ announceFails: true });
    await acceptOrder(submission, ports);
    await acceptOrder(submission, ports);
    expect(announced).toEqual(["T2M1", "T2M1"]);
  });

  it("rejects the same key with different content", async () => {
    const { ports, byId } = harness();
    await acceptOrder(submission, ports);
    const err = await rejection(acceptOrder({ ...submission, tenure: "1_MONTH" }, ports));
    expect(err.reason).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(byId.size).toBe(1);
  });

  it("rejects an order id already used under another key", async () => {
    const { ports } = harness();
    await acceptOrder(submission, ports);
    expect((await rejection(acceptOrder({ ...submission, idempotencyKey: "key-2" }, ports))).reason).toBe("ORDER_ID_TAKEN");
  });

  it.each([
    [{ productId: "ZOHO_NOPE" }, "PRODUCT_NOT_FOUND"],
    [{ tenure: "6_MONTHS" }, "TENURE_NOT_OFFERED"],
    [{ customer: { ...submission.customer, email: "nope" } }, "INVALID_ORDER"],
  ] as const)("rejects %o as %s and stores nothing", async (patch, reason) => {
    const { ports, byId } = harness();
    expect((await rejection(acceptOrder({ ...submission, ...patch }, ports))).reason).toBe(reason);
    expect(byId.size).toBe(0);
  });
});
