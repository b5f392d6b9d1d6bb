import { describe, expect, it } from "vitest";
import { formatAmount, readIdempotencyKey } from "./rest-order.js";
import { problem } from "./problem.js";

describe("readIdempotencyKey", () => {
  it("reads bare and structured-field values", () => {
    expect(readIdempotencyKey("abc123")).toBe("abc123");
    expect(readIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe("8e03978e-40d5-43e8-bc93-6894a57f9324");
    expect(readIdempotencyKey(undefined)).toBe("");
  });

  it("unescapes a structured-field string, and refuses several values or a broken one", () => {
    expect(readIdempotencyKey('"a\\"b\\\\c"')).toBe('a"b\\c');
    expect(readIdempotencyKey(["k1", "k2"])).toBe("");
    expect(readIdempotencyKey('"unterminated')).toBe("");
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
