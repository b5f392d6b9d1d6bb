import { describe, expect, it } from "vitest";
import { afterDead, afterDelivered, afterGone, enable, initialHealth, type EndpointHealth } from "./endpoint-health.js";
import { checkOutcome, checkSubscriptionEvent, type StoredOrder, type StoredSubscription } from "./forgery.js";
import type { SubscriptionEvent } from "./webhook.js";
import { blockedBy } from "./ordering.js";
import { fulfilledOutcome } from "./outcome.fixtures.js";

const t0 = new Date("2026-11-27T10:00:00Z");
const at = (min: number) => new Date(t0.getTime() + min * 60_000);

describe("ordering", () => {
  const entry = (webhookId: string, orderId: string, occurredMin: number) => ({ webhookId, orderId, occurredAt: at(occurredMin), createdAt: at(occurredMin) });

  it("holds a later event of an order behind any earlier one not delivered (dead ones included)", () => {
    const fulfilled = entry("msg_fulfilled", "A", 0);
    const reminder = entry("msg_reminder", "A", 60);
    const other = entry("msg_other", "B", -10);
    expect(blockedBy(reminder, [fulfilled, reminder, other])?.webhookId).toBe("msg_fulfilled");
    expect(blockedBy(fulfilled, [fulfilled, reminder, other])).toBeUndefined();
    expect(blockedBy(reminder, [reminder, other])).toBeUndefined();
  });
});

describe("endpoint health", () => {
  const rules = { afterDeadInARow: 3, afterFailingMs: 5 * 24 * 60 * 60_000 };
  const apply = (h: EndpointHealth, change: ReturnType<typeof afterDead>): EndpointHealth => (change ? { ...change, endpointId: h.endpointId, version: h.version + 1 } : h);

  it("counts dead messages in a row and disables the endpoint at the limit; a delivery ends the streak", () => {
    let h = initialHealth("t2mobile");
    h = apply(h, afterDead(h, at(0), at(40), rules));
    h = apply(h, afterDead(h, at(1), at(41), rules));
    expect(h).toMatchObject({ deadStreak: 2, disabled: false, failingSince: at(0), version: 2 });
    expect(apply(h, afterDelivered(h, at(42)))).toMatchObject({ deadStreak: 0, disabled: false, version: 3 });
    expect(apply(h, afterDelivered(h, at(42))).failingSince).toBeUndefined();
    h = apply(h, afterDead(h, at(2), at(43), rules));
    expect(h).toMatchObject({ deadStreak: 3, disabled: true, disabledReason: "3 messages dead in a row", disabledAt: at(43) });
    expect(afterDelivered(initialHealth("t2mobile"), at(1))).toBeUndefined();
  });

  it("disables after failing for long enough, whatever the count", () => {
    const h = { ...initialHealth("t2mobile"), deadStreak: 1, failingSince: at(0) };
    expect(afterDead(h, at(0), at(5 * 24 * 60 + 1), rules)).toMatchObject({ disabled: true, disabledReason: "failing for 120 h" });
  });

  it("disables at once on 410 Gone; enabling replays what died since the failures started", () => {
    let h = initialHealth("t2mobile");
    h = apply(h, afterDead(h, at(0), at(40), rules));
    h = apply(h, afterGone(h, at(50), at(51)));
    expect(h).toMatchObject({ disabled: true, disabledReason: "410 Gone", failingSince: at(0) });
    const { change, replaySince } = enable(h, at(60));
    expect(replaySince).toEqual(at(0));
    expect(apply(h, change)).toMatchObject({ disabled: false, deadStreak: 0 });
    expect(enable(initialHealth("t2mobile"), at(1))).toEqual({ change: undefined, replaySince: undefined });
  });
});

describe("the forgery guard", () => {
  const stored: StoredOrder = {
    orderId: "T2M1",
    partnerId: "t2mobile",
    partnerOrderId: "T2M1",
    status: "FULFILLED",
    productId: "ZOHO_CRM_STD",
    tenure: "12_MONTHS",
    customerId: "C1",
    zohoSalesOrderId: "SO-1",
    activationReference: "ZL-1",
    failureCode: "",
    renewsSubscriptionId: "",
  };

  it("passes an outcome the stored order confirms", () => {
    expect(checkOutcome(fulfilledOutcome, stored)).toEqual({ ok: true });
  });

  it("refuses an unknown order, another status, or different ids", () => {
    expect(checkOutcome(fulfilledOutcome, undefined)).toMatchObject({ ok: false, reason: "unknown-order" });
    expect(checkOutcome(fulfilledOutcome, { ...stored, status: "PROCESSING" })).toMatchObject({ ok: false, reason: "status-mismatch" });
    expect(checkOutcome({ ...fulfilledOutcome, type: "ORDER_FAILED", failureCode: "TIMED_OUT" }, stored)).toMatchObject({ ok: false, reason: "status-mismatch" });
    expect(checkOutcome({ ...fulfilledOutcome, activationReference: "ZL-FORGED" }, stored)).toMatchObject({ ok: false, reason: "id-mismatch", detail: expect.stringContaining("activationReference") });
    expect(checkOutcome({ ...fulfilledOutcome, type: "ORDER_FAILED", failureCode: "TIMED_OUT" }, { ...stored, status: "FAILED", failureCode: "ORDER_REJECTED" })).toMatchObject({
      ok: false,
      reason: "id-mismatch",
    });
  });
});

describe("the forgery guard for subscription events", () => {
  const end1 = new Date("2027-12-09T10:00:00Z");
  const end2 = new Date("2028-12-09T10:00:00Z");
  const subscription: StoredSubscription = {
    subscriptionId: "T2M1",
    status: "ACTIVE",
    activationReference: "ZL-1",
    productId: "ZOHO_CRM_STD",
    customerId: "C1",
    customerEmail: "ada@example.com",
    expiryDate: end2,
    history: [
      { version: 1, kind: "ACTIVATED", orderId: "T2M1", periodEnd: end1, tenure: "12_MONTHS" },
      { version: 2, kind: "RENEWED", orderId: "T2M2", periodEnd: end2, tenure: "12_MONTHS" },
    ],
  };
  const base = { subscriptionId: "T2M1", activationReference: "ZL-1", productId: "ZOHO_CRM_STD", tenure: "12_MONTHS", customerId: "C1", occurredAt: t0 };
  const renewed: SubscriptionEvent = { ...base, type: "SUBSCRIPTION_RENEWED", version: 2, renewalOrderId: "T2M2", zohoSalesOrderId: "SO-2", periodStart: end1, expiryDate: end2 };
  const reminder = (expiryDate: Date): SubscriptionEvent => ({ ...base, type: "EXPIRY_REMINDER", version: 2, thresholdDays: 7, daysUntilExpiry: 7, customerEmail: "ada@example.com", expiryDate });

  it("passes a change the history holds, and a reminder for the current period", () => {
    expect(checkSubscriptionEvent(renewed, subscription)).toEqual({ ok: true });
    expect(checkSubscriptionEvent(reminder(end2), subscription)).toEqual({ ok: true });
  });

  it("refuses an unknown subscription, a change the history does not hold, and different ids", () => {
    expect(checkSubscriptionEvent(renewed, undefined)).toMatchObject({ ok: false, reason: "unknown-subscription" });
    expect(checkSubscriptionEvent({ ...renewed, renewalOrderId: "T2M9" }, subscription)).toMatchObject({ ok: false, reason: "history-mismatch" });
    expect(checkSubscriptionEvent({ ...renewed, expiryDate: new Date("2030-01-01T00:00:00Z") }, subscription)).toMatchObject({ ok: false, reason: "history-mismatch" });
    expect(checkSubscriptionEvent({ ...base, type: "SUBSCRIPTION_REVOKED", version: 3, reason: "x", expiryDate: end2 }, subscription)).toMatchObject({ ok: false, reason: "history-mismatch" });
    expect(checkSubscriptionEvent({ ...base, type: "SUBSCRIPTION_EXPIRED", version: 2, expiryDate: end2 }, subscription)).toMatchObject({ ok: false, reason: "history-mismatch" });
    expect(checkSubscriptionEvent({ ...renewed, customerId: "C2" }, subscription)).toMatchObject({ ok: false, reason: "id-mismatch" });
  });

  it("refuses a reminder made stale by a renewal or a revocation since", () => {
    expect(checkSubscriptionEvent(reminder(end1), subscription)).toMatchObject({ ok: false, reason: "stale" });
    expect(checkSubscriptionEvent(reminder(end2), { ...subscription, status: "REVOKED" })).toMatchObject({ ok: false, reason: "stale" });
  });
});
