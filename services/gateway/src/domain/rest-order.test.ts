import { describe, expect, it } from "vitest";
import { formatAmount, readIdempotencyKey, readOrderBody } from "./rest-order.js";
import { problem } from "./problem.js";

describe("readOrderBody", () => {
  const body = {
    orderId: "T2M123456",
    productId: "ZOHO_CRM_STD",
    customerId: "T2M_USER_9001",
    customerName: "John Doe",
    customerEmail: "john@example.com",
    customerPhone: "08012345678",
    tenure: "12_MONTHS",
  };

  it("accepts the seed's body", () => {
    expect(readOrderBody(body)).toEqual({ ok: true, body });
  });

  it("passes missing fields on as empty for the service to report", () => {
    const result = readOrderBody({ ...body, customerPhone: undefined, tenure: null });
    expect(result).toMatchObject({ ok: true, body: { customerPhone: "", tenure: "" } });
  });

  it("rejects objects, arrays and numbers where strings belong", () => {
    const result = readOrderBody({ ...body, customerName: { first: "John" }, tenure: ["12_MONTHS"], orderId: 42 });
    expect(result).toEqual({
      ok: false,
      errors: [
        { field: "orderId", detail: "must be a string, not a number" },
        { field: "customerName", detail: "must be a string, not an object" },
        { field: "tenure", detail: "must be a string, not an array" },
      ],
    });
  });

  it.each([[null], [[body]], ["text"], [12]])("rejects a body that is not an object: %j", (json) => {
    expect(readOrderBody(json).ok).toBe(false);
  });
});

describe("readIdempotencyKey", () => {
  it("reads bare and structured-field values", () => {
    expect(readIdempotencyKey("abc123")).toBe("abc123");
    expect(readIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe("8e03978e-40d5-43e8-bc93-6894a57f9324");
    expect(readIdempotencyKey(undefined)).toBe("");
  });
});

describe("formatAmount", () => {
  it("formats minor units exactly", () => {
    expect(formatAmount(21_600_000n)).toBe("216000.00");
    expect(formatAmount(5n)).toBe("0.05");
    expect(formatAmount(-150n)).toBe("-1.50");
  });
});

describe("problem", () => {
  it("builds an RFC 9457 body with a stable type and code", () => {
    expect(problem("PRODUCT_NOT_FOUND", 'product "X" is not in the catalogue', { instance: "/t2mobile/fulfilment" })).toEqual({
      type: "https://docs.icontech.ng/t2mobile/problems/product-not-found",
      title: "Unknown product",
      status: 422,
      detail: 'product "X" is not in the catalogue',
      code: "PRODUCT_NOT_FOUND",
      instance: "/t2mobile/fulfilment",
    });
  });
});
