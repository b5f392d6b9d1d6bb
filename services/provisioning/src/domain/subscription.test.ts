import { describe, expect, it } from "vitest";
import { activate, addMonths, canChange, expire, normalise, renew, renewalPeriod, revoke, SubscriptionChangeRefused, type Activation } from "./subscription.js";

describe("addMonths", () => {
  it("adds calendar months keeping the time of day", () => {
    expect(addMonths(new Date("2026-11-27T10:15:00Z"), 12).toISOString()).toBe("2027-11-27T10:15:00.000Z");
    expect(addMonths(new Date("2026-11-27T10:15:00Z"), 1).toISOString()).toBe("2026-12-27T10:15:00.000Z");
    expect(addMonths(new Date("2026-11-27T10:15:00Z"), 24).toISOString()).toBe("2028-11-27T10:15:00.000Z");
  });

  it("clamps to the end of a shorter month", () => {
    expect(addMonths(new Date("2027-01-31T00:00:00Z"), 1).toISOString()).toBe("2027-02-28T00:00:00.000Z");
    expect(addMonths(new Date("2028-01-31T00:00:00Z"), 1).toISOString()).toBe("2028-02-29T00:00:00.000Z");
    expect(addMonths(new Date("2028-02-29T00:00:00Z"), 12).toISOString()).toBe("2029-02-28T00:00:00.000Z");
  });
});

const activation: Activation = {
  orderId: "T2M1",
  productId: "ZOHO_CRM_STD",
  tenure: "12_MONTHS",
  tenureMonths: 12,
  customerId: "C1",
  customerEmail: "ada@example.com",
  zohoSalesOrderId: "SO-1",
  activationReference: "ZL-1",
};
const at = (iso: string) => new Date(iso);
const active = activate(activation, at("2026-12-09T22:30:00Z")).state;

describe("the subscription lifecycle", () => {
  it("activates for the tenure, filed under the Lagos day of its end", () => {
    const change = activate(activation, at("2026-12-09T22:30:00Z"));
    expect(change).toMatchObject({ version: 1, kind: "ACTIVATED", orderId: "T2M1" });
    expect(change.state).toMatchObject({ status: "ACTIVE", version: 1, renewals: 0 });
    expect(change.state.expiryDate.toISOString()).toBe("2027-12-09T22:30:00.000Z");
    // 23:30 in Lagos: still the 9th there.
    expect(change.state.expiryDay).toBe("2027-12-09");
  });

  it("renews early from the current end date, so no day is lost", () => {
    const change = renew(active, { renewalOrderId: "T2M2", zohoSalesOrderId: "SO-2", tenure: "12_MONTHS", tenureMonths: 12 }, at("2027-12-01T08:00:00Z"));
    expect(change).toMatchObject({ version: 2, kind: "RENEWED", orderId: "T2M2", previousExpiryDate: active.expiryDate });
    expect(change.state.startDate).toEqual(active.expiryDate);
    expect(change.state.expiryDate.toISOString()).toBe("2028-12-09T22:30:00.000Z");
    expect(change.state).toMatchObject({ status: "ACTIVE", zohoSalesOrderId: "SO-2", renewals: 1, expiryDay: "2028-12-09" });
  });

  it("renews from now once the period has ended (expired, or past its end before the job ran)", () => {
    const now = at("2028-01-15T09:00:00Z");
    expect(renewalPeriod(active, 1, now)).toEqual({ start: now, end: at("2028-02-15T09:00:00Z") });
    const expired = expire(active, at("2027-12-10T02:00:00Z")).state;
    const change = renew(expired, { renewalOrderId: "T2M3", zohoSalesOrderId: "SO-3", tenure: "1_MONTH", tenureMonths: 1 }, now);
    expect(change.state).toMatchObject({ status: "ACTIVE", tenure: "1_MONTH", tenureMonths: 1, version: 3, startDate: now });
  });

  it("expires only an ACTIVE subscription whose end has passed", () => {
    expect(() => expire(active, at("2027-12-09T22:29:59Z"))).toThrow(SubscriptionChangeRefused);
    const change = expire(active, at("2027-12-09T22:30:00Z"));
    expect(change).toMatchObject({ version: 2, kind: "EXPIRED", state: { status: "EXPIRED", expiryDate: active.expiryDate } });
    expect(() => expire(change.state, at("2028-01-01T00:00:00Z"))).toThrow(/EXPIRED/);
  });

  it("revokes, with the reason, and nothing follows a revocation", () => {
    const change = revoke(active, "customer asked", at("2027-03-01T10:00:00Z"));
    expect(change.state).toMatchObject({ status: "REVOKED", revocationReason: "customer asked", revokedAt: at("2027-03-01T10:00:00Z"), version: 2 });
    const refusal = (() => {
      try {
        renew(change.state, { renewalOrderId: "T2M4", zohoSalesOrderId: "SO-4", tenure: "12_MONTHS", tenureMonths: 12 }, at("2027-03-02T00:00:00Z"));
      } catch (err) {
        return err;
      }
    })();
    expect(refusal).toMatchObject({ reason: "SUBSCRIPTION_REVOKED" });
    expect(() => revoke(change.state, "again", at("2027-03-02T00:00:00Z"))).toThrow(SubscriptionChangeRefused);
    expect(() => expire(change.state, at("2028-01-01T00:00:00Z"))).toThrow(SubscriptionChangeRefused);
  });

  it("allows exactly the documented moves", () => {
    expect(canChange("ACTIVE", "RENEWED") && canChange("ACTIVE", "EXPIRED") && canChange("ACTIVE", "REVOKED")).toBe(true);
    expect(canChange("EXPIRED", "RENEWED") && canChange("EXPIRED", "REVOKED")).toBe(true);
    expect(canChange("EXPIRED", "EXPIRED")).toBe(false);
    expect(["ACTIVATED", "RENEWED", "EXPIRED", "REVOKED"].some((k) => canChange("REVOKED", k as never))).toBe(false);
  });

  it("reads a record stored before subscriptions had a history as version 1", () => {
    const { version: _v, expiryDay: _d, renewals: _r, updatedAt: _u, ...legacy } = active;
    expect(normalise(legacy)).toEqual(active);
  });
});
