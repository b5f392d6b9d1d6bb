// The published contract: the gateway's OpenAPI document is valid OpenAPI
// 3.1, names every route, every problem code and every webhook, and what
// the other services produce matches it (notification's webhook payloads,
// fulfilment's order rules).
import { Validator } from "@seriousme/openapi-schema-validator";
import { validateSubmission } from "@t2m/fulfilment";
import { apiSchemas, openApiDocument, ProblemTypes, ROUTES } from "@t2m/gateway";
import { buildPayload, buildSubscriptionPayload } from "@t2m/notification";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { documentChecker } from "../e2e/openapi-check.js";

const document = openApiDocument() as any;

describe("the OpenAPI document", () => {
  it("validates as OpenAPI 3.1", async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result, JSON.stringify(result.errors)).toMatchObject({ valid: true });
    expect(validator.version).toBe("3.1");
  });

  it("has every route, every problem code with its type, and the webhook events", () => {
    for (const route of ROUTES) expect(document.paths[route.url.replace(/:(\w+)/g, "{$1}")]?.[route.method.toLowerCase()], route.url).toBeDefined();
    const codes = Object.keys(ProblemTypes);
    expect(document.components.schemas.Problem.properties.code.enum.sort()).toEqual([...codes].sort());
    const text = JSON.stringify(document);
    for (const code of codes) expect(text, code).toContain(`https://docs.icontech.ng/t2mobile/problems/${code.toLowerCase().replace(/_/g, "-")}`);
    expect(Object.keys(document.webhooks).sort()).toEqual(["EXPIRY_REMINDER", "ORDER_FAILED", "ORDER_FULFILLED", "SUBSCRIPTION_EXPIRED", "SUBSCRIPTION_RENEWED", "SUBSCRIPTION_REVOKED"]);
    for (const name of ["RateLimit", "RateLimit-Policy", "Retry-After", "ETag", "Idempotent-Replayed", "Location"]) expect(document.components.headers[name], name).toBeDefined();
  });

  it("documents notification's webhook payloads as they are built", () => {
    const base = { orderId: "acme~A1", partnerOrderId: "A1", productId: "ZOHO_CRM_STD", tenure: "12_MONTHS", customerId: "C1", zohoSalesOrderId: "Z1", activationReference: "ZL-1", occurredAt: new Date() };
    const fulfilled = buildPayload({ ...base, type: "ORDER_FULFILLED", expiryDate: new Date() });
    const failed = buildPayload({ ...base, type: "ORDER_FAILED", zohoSalesOrderId: "", activationReference: "", reason: "The licence could not be provisioned.", failureCode: "PROVISIONING_FAILED" });
    expect(fulfilled.data.orderId).toBe("A1");
    expect(apiSchemas.OrderFulfilledEvent.safeParse(fulfilled).success).toBe(true);
    expect(apiSchemas.OrderFailedEvent.safeParse(failed).success).toBe(true);
    // And through the document itself, as a receiver's validator would see it.
    const check = documentChecker({ ...document, paths: { "/fulfilled": { post: { responses: { 200: { content: { "application/json": { schema: document.webhooks.ORDER_FULFILLED.post.requestBody.content["application/json"].schema } } } } } } } });
    const as = (body: unknown) => ({ status: 200, contentType: "application/json", headers: new Headers(), body });
    expect(check("POST", "/fulfilled", as(JSON.parse(JSON.stringify(fulfilled))))).toEqual([]);
    expect(check("POST", "/fulfilled", as(JSON.parse(JSON.stringify(failed))))).not.toEqual([]);
  });

  it("documents the subscription webhooks as they are built, with the partner's own ids", () => {
    const base = { subscriptionId: "acme~A1", activationReference: "ZL-1", productId: "ZOHO_CRM_STD", tenure: "12_MONTHS", customerId: "C1", version: 2, expiryDate: new Date(), occurredAt: new Date() };
    const renewal = buildPayload({ orderId: "acme~R1", partnerOrderId: "R1", type: "ORDER_FAILED", productId: "ZOHO_CRM_STD", tenure: "12_MONTHS", customerId: "C1", zohoSalesOrderId: "", activationReference: "", occurredAt: new Date(), reason: "The subscription was revoked.", failureCode: "SUBSCRIPTION_REVOKED", renewsSubscriptionId: "A1" });
    expect(apiSchemas.OrderFailedEvent.safeParse(renewal).success).toBe(true);
    const events = [
      [apiSchemas.SubscriptionRenewedEvent, buildSubscriptionPayload({ ...base, type: "SUBSCRIPTION_RENEWED", renewalOrderId: "R1", zohoSalesOrderId: "Z2", previousExpiryDate: new Date(), periodStart: new Date() })],
      [apiSchemas.SubscriptionRevokedEvent, buildSubscriptionPayload({ ...base, type: "SUBSCRIPTION_REVOKED", reason: "cancelled" })],
      [apiSchemas.SubscriptionExpiredEvent, buildSubscriptionPayload({ ...base, type: "SUBSCRIPTION_EXPIRED" })],
      [apiSchemas.ExpiryReminderEvent, buildSubscriptionPayload({ ...base, type: "EXPIRY_REMINDER", thresholdDays: 7, daysUntilExpiry: 7, customerEmail: "c@example.com", amount: { currencyCode: "NGN", amountMinor: 21600000n } })],
    ] as const;
    for (const [schema, payload] of events) {
      expect(payload.data.orderId, payload.type).toBe("A1");
      const parsed = schema.safeParse(JSON.parse(JSON.stringify(payload)));
      expect(parsed.success, `${payload.type}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
  });

  // renews: the RPC has no "" apart from absent (proto3), so an empty renews is only the REST API's to refuse.
  it("accepts exactly the orders fulfilment accepts (the rules are one definition)", () => {
    const field = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom("T2M1", "ZOHO_CRM_STD", "12_MONTHS", "a@b.co", "+234 801-234-5678", " ", "", "Ada\u0007", "x".repeat(201)));
    fc.assert(
      fc.property(fc.record({ orderId: field, productId: field, customerId: field, customerName: field, customerEmail: field, customerPhone: field, tenure: field, renews: field.filter((v) => v !== "") }, { requiredKeys: ["orderId", "productId", "customerId", "customerName", "customerEmail", "customerPhone", "tenure"] }), (body) => {
        const gateway = apiSchemas.OrderRequest.safeParse(body).success;
        const violations = validateSubmission({
          partnerId: "t2mobile",
          idempotencyKey: "k",
          orderId: body.orderId,
          productId: body.productId,
          tenure: body.tenure,
          customer: { customerId: body.customerId, name: body.customerName, email: body.customerEmail, phone: body.customerPhone },
          ...(body.renews !== undefined ? { renews: body.renews } : {}),
        });
        expect(gateway).toBe(violations.length === 0);
      }),
      { numRuns: 2_000 },
    );
  });
});
