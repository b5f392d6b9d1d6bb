import { describe, expect, it } from "vitest";
import {
  provisionLicenceOnce,
  validateLicenceRequest,
  validateSalesOrderRequest,
  type LicenceRequest,
  type SalesOrderRequest,
  type Stored,
} from "./provisioning.js";
import type { SubscriptionRecord } from "./subscription.js";

function memoryStore<T extends { orderId: string }>(): Stored<T> & { size(): number } {
  const records = new Map<string, T>();
  return {
    find: async (id) => records.get(id),
    insertOrGet: async (r) => {
      if (!records.has(r.orderId)) records.set(r.orderId, r);
      return records.get(r.orderId)!;
    },
    size: () => records.size,
  };
}

const customer = { customerId: "C1", name: "Ada Obi", email: "ada@example.com", phone: "08012345678" };
const salesOrderRequest: SalesOrderRequest = {
  orderId: "T2M1",
  customer,
  line: { sku: "ZOHO-CRM-STD", name: "Zoho CRM Standard", description: "", rate: 216000, currencyCode: "NGN", quantity: 1 },
};
const licenceRequest: LicenceRequest = {
  orderId: "T2M1",
  zohoSalesOrderId: "SO-1",
  productId: "ZOHO_CRM_STD",
  tenure: "12_MONTHS",
  tenureMonths: 12,
  customer,
};
const now = () => new Date("2026-11-27T10:00:00Z");

describe("provisionLicenceOnce", () => {
  it("provisions once and sets expiry to start + tenure", async () => {
    const store = memoryStore<SubscriptionRecord>();
    let calls = 0;
    const provisioner = {
      provision: async () => {
        calls += 1;
        return { activationReference: "ACT-1" };
      },
    };
    const sub = await provisionLicenceOnce(licenceRequest, { store, provisioner, now });
    await provisionLicenceOnce(licenceRequest, { store, provisioner, now });
    expect(calls).toBe(1);
    expect(sub).toMatchObject({ status: "ACTIVE", activationReference: "ACT-1" });
    expect(sub.expiryDate.toISOString()).toBe("2027-11-27T10:00:00.000Z");
  });
});

describe("validation", () => {
  it("names every missing field", () => {
    const fields = validateSalesOrderRequest({
      orderId: "",
      customer: { customerId: "", name: "", email: "", phone: "" },
      line: { sku: "", name: "", description: "", rate: -1, currencyCode: "NGN", quantity: 0 },
    }).map((v) => v.field);
    expect(fields).toEqual(["order_id", "customer.name", "customer.email", "line.sku", "line.name", "line.rate", "line.quantity"]);
    expect(validateLicenceRequest({ ...licenceRequest, tenureMonths: 0, zohoSalesOrderId: "" }).map((v) => v.field)).toEqual([
      "zoho_sales_order_id",
      "tenure_months",
    ]);
    expect(validateSalesOrderRequest(salesOrderRequest)).toEqual([]);
  });
});
