import { describe, expect, it } from "vitest";
import { validateLicenceRequest, validateSalesOrderRequest, type LicenceRequest, type SalesOrderRequest } from "./provisioning.js";

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
