import { describe, expect, it } from "vitest";
import { prepareOrder, resolveClash } from "./accept-order.js";
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
