import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "./retry-policy.js";
import { buildPayload, buildSubscriptionPayload, decimalAmount, subscriptionWebhookEvent, webhookId, type OrderOutcome, type SubscriptionEvent } from "./webhook.js";
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

describe("subscription payloads", () => {
  const base = { subscriptionId: "T2M1", activationReference: "ZL-1", productId: "ZOHO_CRM_STD", tenure: "12_MONTHS", customerId: "C1", occurredAt: new Date("2027-12-02T01:00:00Z") };
  const reminder: SubscriptionEvent = {
    ...base,
    type: "EXPIRY_REMINDER",
    version: 1,
    thresholdDays: 7,
    daysUntilExpiry: 7,
    customerEmail: "ada@example.com",
    expiryDate: new Date("2027-12-09T10:00:00Z"),
    amount: { currencyCode: "NGN", amountMinor: 21_600_000n },
  };

  it("builds EXPIRY_REMINDER with every field the seed names, keyed to the subscription's first order", () => {
    expect(buildSubscriptionPayload(reminder)).toEqual({
      type: "EXPIRY_REMINDER",
      timestamp: "2027-12-02T01:00:00.000Z",
      data: {
        orderId: "T2M1",
        activationReference: "ZL-1",
        productId: "ZOHO_CRM_STD",
        tenure: "12_MONTHS",
        customerId: "C1",
        status: "ACTIVE",
        customerEmail: "ada@example.com",
        daysUntilExpiry: 7,
        thresholdDays: 7,
        expiryDate: "2027-12-09T10:00:00.000Z",
        amount: "216000.00",
        currency: "NGN",
      },
    });
    expect(buildSubscriptionPayload({ ...reminder, amount: undefined }).data).toMatchObject({ amount: null, currency: null });
  });

  it("builds SUBSCRIPTION_RENEWED, _REVOKED and _EXPIRED bodies", () => {
    const end = new Date("2028-12-09T10:00:00Z");
    expect(buildSubscriptionPayload({ ...base, type: "SUBSCRIPTION_RENEWED", version: 2, renewalOrderId: "T2M2", zohoSalesOrderId: "SO-2", previousExpiryDate: reminder.expiryDate, periodStart: reminder.expiryDate, expiryDate: end }).data).toEqual({
      orderId: "T2M1", activationReference: "ZL-1", productId: "ZOHO_CRM_STD", tenure: "12_MONTHS", customerId: "C1", status: "ACTIVE",
      renewalOrderId: "T2M2", zohoSalesOrderId: "SO-2", previousExpiryDate: "2027-12-09T10:00:00.000Z", periodStart: "2027-12-09T10:00:00.000Z", expiryDate: "2028-12-09T10:00:00.000Z",
    });
    expect(buildSubscriptionPayload({ ...base, type: "SUBSCRIPTION_REVOKED", version: 2, reason: "chargeback", expiryDate: end }).data).toMatchObject({ status: "REVOKED", reason: "chargeback", revokedAt: "2027-12-02T01:00:00.000Z" });
    expect(buildSubscriptionPayload({ ...base, type: "SUBSCRIPTION_EXPIRED", version: 2, expiryDate: end }).data).toMatchObject({ status: "EXPIRED", expiredAt: "2027-12-02T01:00:00.000Z" });
  });

  it("gives each change one webhook id, and each reminder one per period end and threshold", () => {
    const key = (e: SubscriptionEvent) => webhookId(e.type, subscriptionWebhookEvent(e).key);
    expect(key(reminder)).toBe(key({ ...reminder, daysUntilExpiry: 5, occurredAt: new Date() }));
    expect(key(reminder)).not.toBe(key({ ...reminder, thresholdDays: 3 }));
    expect(key(reminder)).not.toBe(key({ ...reminder, expiryDate: new Date("2028-12-09T10:00:00Z") }));
    const expired: SubscriptionEvent = { ...base, type: "SUBSCRIPTION_EXPIRED", version: 2, expiryDate: reminder.expiryDate };
    expect(key(expired)).not.toBe(key({ ...expired, version: 4 }));
    expect(subscriptionWebhookEvent(expired).orderId).toBe("T2M1");
  });

  it("writes amounts exactly", () => {
    expect(decimalAmount(21_600_000n)).toBe("216000.00");
    expect(decimalAmount(5n)).toBe("0.05");
  });
});

describe("webhookId", () => {
  it("is stable per event and order, distinct otherwise, and has no dots", () => {
    const id = webhookId("ORDER_FULFILLED", "T2M1");
    expect(id).toBe(webhookId("ORDER_FULFILLED", "T2M1"));
    expect(id).not.toBe(webhookId("ORDER_FAILED", "T2M1"));
    expect(id).not.toBe(webhookId("ORDER_FULFILLED", "T2M2"));
    expect(id).toMatch(/^msg_[A-Za-z0-9_-]{27}$/);
    // The ids of order outcomes are what they were before subscription events existed.
    expect(id).toBe(`msg_${createHash("sha256").update("ORDER_FULFILLED:T2M1").digest("base64url").slice(0, 27)}`);
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
