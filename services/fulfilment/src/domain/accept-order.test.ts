import { describe, expect, it } from "vitest";
import { asAccepted, keyExpired, prepareOrder, resolveClash } from "./accept-order.js";
import { OfferBook } from "./offers.js";
import { OrderRejected } from "./order.js";
import type { OrderSubmission } from "./submission.js";

const book = new OfferBook([
  {
    productId: "ZOHO_CRM_STD",
    name: "Zoho CRM Standard",
    zohoItemSku: "ZOHO-CRM-STD",
    tenures: [
      { tenure: "12_MONTHS", months: 12, price: { currencyCode: "NGN", amountMinor: 21_600_000 } },
      { tenure: "1_MONTH", months: 1 },
    ],
  },
]);
const offer = (p: string, t: string) => book.find(p, t);
const now = new Date("2026-11-27T10:00:00Z");
const submission: OrderSubmission = {
  partnerId: "t2mobile",
  idempotencyKey: "key-1",
  orderId: "T2M1",
  productId: "ZOHO_CRM_STD",
  tenure: "12_MONTHS",
  customer: { customerId: "C1", name: "Ada", email: "ada@example.com", phone: "08012345678" },
};

function rejection(run: () => unknown): OrderRejected {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(OrderRejected);
    return err as OrderRejected;
  }
  throw new Error("expected a rejection");
}

describe("prepareOrder", () => {
  it("prices a valid order from the offers held in memory", () => {
    expect(prepareOrder(submission, offer, now)).toMatchObject({
      orderId: "T2M1",
      status: "PENDING",
      attempts: 0,
      productName: "Zoho CRM Standard",
      zohoItemSku: "ZOHO-CRM-STD",
      tenureMonths: 12,
      price: { currencyCode: "NGN", amountMinor: 21_600_000 },
      createdAt: now,
    });
  });

  it("rejects every invalid field at once, and unknown products and tenures", () => {
    const invalid = rejection(() => prepareOrder({ ...submission, orderId: "", customer: { ...submission.customer, email: "nope" } }, offer, now));
    expect(invalid.reason).toBe("INVALID_ORDER");
    expect(invalid.violations.map((v) => v.field)).toEqual(["orderId", "customerEmail"]);
    expect(rejection(() => prepareOrder({ ...submission, productId: "ZOHO_NOPE" }, offer, now)).reason).toBe("PRODUCT_NOT_FOUND");
    expect(rejection(() => prepareOrder({ ...submission, tenure: "24_MONTHS" }, offer, now)).reason).toBe("TENURE_NOT_OFFERED");
    // A tenure listed without a price is not on offer.
    expect(rejection(() => prepareOrder({ ...submission, tenure: "1_MONTH" }, offer, now)).reason).toBe("TENURE_NOT_OFFERED");
  });
});

describe("resolveClash", () => {
  const candidate = prepareOrder(submission, offer, now);

  it("replays the stored order for the same content under the same key", () => {
    const stored = { ...candidate, status: "FULFILLED" as const };
    expect(resolveClash(candidate, stored)).toBe(stored);
  });

  it("refuses other content under the same key, and an order id owned by another key", () => {
    const other = prepareOrder({ ...submission, customer: { ...submission.customer, name: "Bob" } }, offer, now);
    expect(rejection(() => resolveClash(other, candidate)).reason).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(rejection(() => resolveClash(candidate, undefined)).reason).toBe("ORDER_ID_TAKEN");
  });
});

describe("replays and expiry", () => {
  it("a replay's order is the order as it was accepted, whatever happened since", () => {
    const accepted = prepareOrder(submission, offer, now);
    const later = { ...accepted, status: "FULFILLED" as const, attempts: 2, zohoSalesOrderId: "Z1", updatedAt: new Date(now.getTime() + 60_000), fulfilledAt: new Date(now.getTime() + 60_000) };
    expect(asAccepted(later)).toEqual(accepted);
  });

  it("releases a key only past its retention, for a different order, once its order is finished", () => {
    const day = 24 * 3_600_000;
    const stored = { ...prepareOrder(submission, offer, now), status: "FULFILLED" as const };
    const other = prepareOrder({ ...submission, orderId: "T2M2" }, offer, new Date(now.getTime() + day));
    expect(keyExpired(stored, other, new Date(now.getTime() + day), day)).toBe(true);
    expect(keyExpired(stored, other, new Date(now.getTime() + day - 1), day)).toBe(false);
    expect(keyExpired({ ...stored, status: "PROCESSING" }, other, new Date(now.getTime() + 2 * day), day)).toBe(false);
    expect(keyExpired(stored, prepareOrder(submission, offer, now), new Date(now.getTime() + 2 * day), day)).toBe(false);
  });

  it("scopes an order to its partner: another partner's order id and key never clash with T2Mobile's", () => {
    const t2m = prepareOrder(submission, offer, now);
    const acme = prepareOrder({ ...submission, partnerId: "acme" }, offer, now);
    expect(acme.orderId).not.toBe(t2m.orderId);
    expect(acme.idempotencyKey).not.toBe(t2m.idempotencyKey);
    expect(acme.partnerOrderId).toBe(t2m.partnerOrderId);
    expect(() => resolveClash(acme, t2m)).toThrow(/already submitted/);
  });
});
