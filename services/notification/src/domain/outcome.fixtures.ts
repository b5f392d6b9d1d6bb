import type { OrderOutcome } from "./webhook.js";

/** A fulfilled order's outcome for tests. */
export const fulfilledOutcome: OrderOutcome = {
  type: "ORDER_FULFILLED",
  orderId: "T2M1",
  productId: "ZOHO_CRM_STD",
  tenure: "12_MONTHS",
  customerId: "C1",
  zohoSalesOrderId: "SO-1",
  activationReference: "ZL-1",
  expiryDate: new Date("2027-11-27T10:00:00Z"),
  occurredAt: new Date("2026-11-27T10:00:03Z"),
};
