import type { OrderRecord } from "./order.js";

/** A PENDING order for tests; override what the test is about. */
export function sampleOrder(overrides: Partial<OrderRecord> = {}): OrderRecord {
  const created = overrides.createdAt ?? new Date("2026-01-15T10:00:00Z");
  const orderId = overrides.orderId ?? "T2M1";
  return {
    orderId,
    partnerId: "t2mobile",
    partnerOrderId: orderId,
    idempotencyKey: `key-${orderId}`,
    fingerprint: "f",
    status: "PENDING",
    productId: "ZOHO_CRM_STD",
    productName: "Zoho CRM Standard",
    zohoItemSku: "ZOHO-CRM-STD",
    tenure: "12_MONTHS",
    tenureMonths: 12,
    customer: { customerId: "C1", name: "Ada", email: "ada@example.com", phone: "08012345678" },
    price: { currencyCode: "NGN", amountMinor: 21_600_000 },
    attempts: 0,
    createdAt: created,
    updatedAt: created,
    ...overrides,
  };
}
