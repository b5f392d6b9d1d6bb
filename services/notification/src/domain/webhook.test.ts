import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "./retry-policy.js";
import { buildPayload, webhookId, type OrderOutcome } from "./webhook.js";
import { fulfilledOutcome } from "./outcome.fixtures.js";

const fulfilled = fulfilledOutcome;

describe("buildPayload", () => {
  it("builds the ORDER_FULFILLED body", () => {
    expect(buildPayload(fulfilled)).toEqual({
      type: "ORDER_FULFILLED",
      timestamp: "2026-11-27T10:00:03.000Z",
      data: {
        orderId: "T2M1",
        status: "FULFILLED",
        productId: "ZOHO_CRM_STD",
        tenure: "12_MONTHS",
        customerId: "C1",
        zohoSalesOrderId: "SO-1",
        activationReference: "ZL-1",
        expiryDate: "2027-11-27T10:00:00.000Z",
      },
    });
  });

  it("builds the ORDER_FAILED body with nulls and the error", () => {
    const payload = buildPayload({
      ...fulfilled,
      type: "ORDER_FAILED",
      zohoSalesOrderId: "",
      activationReference: "",
      expiryDate: undefined,
      reason: "Zoho rejected the sales order",
    });
    expect(payload.data).toMatchObject({
      status: "FAILED",
      zohoSalesOrderId: null,
      activationReference: null,
      expiryDate: null,
      error: "Zoho rejected the sales order",
    });
  });
});

describe("webhookId", () => {
  it("is stable per event and order, distinct otherwise, and has no dots", () => {
    const id = webhookId("ORDER_FULFILLED", "T2M1");
    expect(id).toBe(webhookId("ORDER_FULFILLED", "T2M1"));
    expect(id).not.toBe(webhookId("ORDER_FAILED", "T2M1"));
    expect(id).not.toBe(webhookId("ORDER_FULFILLED", "T2M2"));
    expect(id).toMatch(/^msg_[A-Za-z0-9_-]{27}$/);
  });
});

describe("parseRetryAfter", () => {
  const now = new Date("2026-11-27T10:00:00Z");
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter("Fri, 27 Nov 2026 10:01:00 GMT", now)).toBe(60);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
});
