import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { submissionFingerprint, validateSubmission, type OrderSubmission } from "./submission.js";

const good: OrderSubmission = {
  partnerId: "t2mobile",
  idempotencyKey: "abc123",
  orderId: "T2M123456",
  productId: "ZOHO_CRM_STD",
  tenure: "12_MONTHS",
  customer: { customerId: "T2M_USER_9001", name: "John Doe", email: "john@example.com", phone: "08012345678" },
};

describe("validateSubmission", () => {
  it("accepts the seed's example order", () => {
    expect(validateSubmission(good)).toEqual([]);
  });

  it("accepts international phone numbers with spaces", () => {
    expect(validateSubmission({ ...good, customer: { ...good.customer, phone: "+234 801 234 5678" } })).toEqual([]);
  });

  it("reports every missing field by its REST name", () => {
    const empty: OrderSubmission = {
      partnerId: "t2mobile",
      idempotencyKey: "",
      orderId: "",
      productId: "",
      tenure: "",
      customer: { customerId: "", name: " ", email: "", phone: "" },
    };
    const fields = validateSubmission(empty).map((v) => v.field);
    expect(fields).toEqual([
      "Idempotency-Key",
      "orderId",
      "productId",
      "tenure",
      "customerId",
      "customerName",
      "customerEmail",
      "customerPhone",
    ]);
    expect(validateSubmission(empty).every((v) => v.description === "is required")).toBe(true);
  });

  it("rejects malformed values", () => {
    const bad: OrderSubmission = {
      partnerId: "t2mobile",
      idempotencyKey: "has space",
      orderId: "../etc",
      productId: "zoho crm",
      tenure: "one year",
      customer: { customerId: "ok", name: "x".repeat(201), email: "not-an-email", phone: "12ab" },
    };
    expect(validateSubmission(bad).map((v) => v.field)).toEqual([
      "Idempotency-Key",
      "orderId",
      "productId",
      "tenure",
      "customerName",
      "customerEmail",
      "customerPhone",
    ]);
  });
});

describe("submissionFingerprint", () => {
  it("ignores the idempotency key and changes with any ordered field", () => {
    const base = submissionFingerprint(good);
    expect(submissionFingerprint({ ...good, idempotencyKey: "other" })).toBe(base);
    expect(submissionFingerprint({ ...good, tenure: "1_MONTH" })).not.toBe(base);
    expect(submissionFingerprint({ ...good, customer: { ...good.customer, email: "jane@example.com" } })).not.toBe(base);
    // A renewal differs from the same order without `renews`, whose fingerprint is what it always was.
    expect(submissionFingerprint({ ...good, renews: "ZL-CRMSTD-1" })).not.toBe(base);
    expect(submissionFingerprint({ ...good, renews: "" })).toBe(base);
    expect(base).toBe(createHash("sha256").update(JSON.stringify([good.orderId, good.productId, good.tenure, good.customer.customerId, good.customer.name, good.customer.email, good.customer.phone])).digest("hex"));
  });
});
