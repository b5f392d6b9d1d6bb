import { describe, expect, it } from "vitest";
import { isRetryableStatus, ZohoApiError } from "./errors.js";
import { outcomeOf } from "./http.js";
import {
  calendarDate,
  contactPayload,
  parseCreatedContact,
  parseBulkConfirmation,
  parseEnvelope,
  parseSalesOrder,
  parseSalesOrderPage,
  parseTokenResponse,
  salesOrderPayload,
  splitName,
  tokenRequestBody,
} from "./wire.js";

function errorOf(run: () => unknown): ZohoApiError {
  try {
    run();
  } catch (err) {
    if (err instanceof ZohoApiError) return err;
    throw err;
  }
  throw new Error("expected a ZohoApiError");
}

describe("token wire format", () => {
  it("sends the refresh-token grant as form fields", () => {
    const body = tokenRequestBody({ clientId: "1000.ID", clientSecret: "s3cret", refreshToken: "1000.r" });
    expect(Object.fromEntries(body)).toEqual({ grant_type: "refresh_token", client_id: "1000.ID", client_secret: "s3cret", refresh_token: "1000.r" });
  });

  it("reads a token answer, preferring expires_in_sec when an old-style answer gives both", () => {
    expect(parseTokenResponse(200, { access_token: "1000.a", expires_in: 3600, api_domain: "https://www.zohoapis.com", token_type: "Bearer" })).toEqual({
      accessToken: "1000.a",
      expiresInSeconds: 3600,
      apiDomain: "https://www.zohoapis.com",
    });
    expect(parseTokenResponse(200, { access_token: "1000.a", expires_in: 3_600_000, expires_in_sec: 3600 }).expiresInSeconds).toBe(3600);
  });

  it("treats any body with an error key as failure, even with HTTP 200", () => {
    const refused = errorOf(() => parseTokenResponse(200, { error: "invalid_code" }));
    expect(refused).toMatchObject({ operation: "token", kind: "oauth", oauthError: "invalid_code", httpStatus: 200, retryable: false });
    expect(refused.message).toBe("Zoho refused the token refresh: invalid_code");
    // Over Zoho's token limit: HTTP 200, "Access Denied"; it passes with time.
    expect(errorOf(() => parseTokenResponse(200, { error: "Access Denied" })).retryable).toBe(true);
  });

  it("rejects an answer without a token, and a server error, by status", () => {
    expect(errorOf(() => parseTokenResponse(200, { expires_in: 3600 }))).toMatchObject({ kind: "unexpected-response", retryable: false });
    expect(errorOf(() => parseTokenResponse(502, undefined))).toMatchObject({ kind: "http", httpStatus: 502, retryable: true });
  });
});

describe("parseEnvelope", () => {
  it("returns the body when the status is 2xx and the code 0", () => {
    expect(parseEnvelope("listItems", 200, { code: 0, message: "success", items: [] })).toEqual({ code: 0, message: "success", items: [] });
  });

  it.each([
    [400, { code: 1001, message: "exists" }, false],
    [404, { code: 1002, message: "Sales Order does not exist." }, false],
    [429, { code: 45, message: "Request Limit Exceeded" }, true],
    [500, { code: 1000, message: "Internal error" }, true],
    [503, undefined, true],
    [400, { code: 45, message: "Request Limit Exceeded" }, true],
    [200, { code: 57, message: "You are not authorized to perform this operation" }, false],
  ])("turns HTTP %i %j into an error, retryable=%s", (status, body, retryable) => {
    const error = errorOf(() => parseEnvelope("createSalesOrder", status, body));
    expect(error).toMatchObject({ kind: "http", operation: "createSalesOrder", httpStatus: status, zohoCode: body?.code, retryable });
    expect(error.message).toBe(`Zoho createSalesOrder failed with HTTP ${status}${body ? ` (code ${body.code}: ${body.message})` : ""}`);
  });

  it("rejects a 2xx that is not a JSON object", () => {
    expect(errorOf(() => parseEnvelope("listItems", 200, undefined))).toMatchObject({ kind: "unexpected-response", retryable: false });
  });
});

describe("request bodies", () => {
  it("makes a customer contact with one primary person", () => {
    expect(contactPayload({ name: "Ada Obi Eze", email: "ada@example.ng", phone: "08012345678", notes: "T2Mobile customer C1" })).toEqual({
      contact_name: "Ada Obi Eze",
      contact_type: "customer",
      notes: "T2Mobile customer C1",
      contact_persons: [{ first_name: "Ada", last_name: "Obi Eze", email: "ada@example.ng", phone: "08012345678", is_primary_contact: true }],
    });
    expect(contactPayload({ name: "Madonna", email: "m@example.ng", phone: "" }).contact_persons).toEqual([
      { first_name: "Madonna", email: "m@example.ng", is_primary_contact: true },
    ]);
  });

  it("makes a sales order with Zoho's field names and numeric rates", () => {
    expect(
      salesOrderPayload({
        salesorderNumber: "T2M-1",
        customerId: "4815000000044080",
        date: "2026-03-01",
        referenceNumber: "T2M-1",
        lineItems: [{ itemId: "4815000000044100", name: "Zoho CRM Standard", description: "CRM", rate: 216000.5, quantity: 1 }],
      }),
    ).toEqual({
      customer_id: "4815000000044080",
      salesorder_number: "T2M-1",
      date: "2026-03-01",
      reference_number: "T2M-1",
      line_items: [{ item_id: "4815000000044100", name: "Zoho CRM Standard", description: "CRM", rate: 216000.5, quantity: 1 }],
    });
  });
});

describe("response bodies", () => {
  const order = { salesorder_id: "1", salesorder_number: "T2M-1", customer_id: "2", status: "draft" };
  const expected = { salesOrderId: "1", salesOrderNumber: "T2M-1", customerId: "2", status: "draft" };

  it("reads the sales order under either node name Zoho uses", () => {
    expect(parseSalesOrder("createSalesOrder", { code: 0, salesorder: order })).toEqual(expected);
    expect(parseSalesOrder("createSalesOrder", { code: 0, sales_order: order })).toEqual(expected);
    expect(errorOf(() => parseSalesOrder("createSalesOrder", { code: 0 }))).toMatchObject({ kind: "unexpected-response" });
  });

  it("accepts ids sent as JSON numbers", () => {
    expect(parseSalesOrder("getSalesOrder", { salesorder: { ...order, salesorder_id: 4815000000044895 } }).salesOrderId).toBe("4815000000044895");
  });

  it("reads a page of orders and whether more follow", () => {
    expect(parseSalesOrderPage({ salesorders: [order], page_context: { has_more_page: true } })).toEqual({ orders: [expected], hasMorePage: true });
    expect(parseSalesOrderPage({ salesorders: [] }).hasMorePage).toBe(false);
  });

  it("takes a created contact's email from its primary person", () => {
    const contact = parseCreatedContact({
      contact: {
        contact_id: "9",
        contact_name: "Ada",
        contact_type: "customer",
        contact_persons: [
          { email: "other@example.ng", is_primary_contact: false },
          { email: "ada@example.ng", is_primary_contact: true },
        ],
      },
    });
    expect(contact).toEqual({ contactId: "9", contactName: "Ada", email: "ada@example.ng", contactType: "customer" });
  });
});

describe("helpers", () => {
  it("splits a name at the first space", () => {
    expect(splitName("  Ada   Obi ")).toEqual(["Ada", "Obi"]);
    expect(splitName("Ada")).toEqual(["Ada", ""]);
  });

  it("dates an order in Lagos, an hour ahead of UTC", () => {
    expect(calendarDate(Date.parse("2026-03-01T23:30:00Z"), "Africa/Lagos")).toBe("2026-03-02");
    expect(calendarDate(Date.parse("2026-03-01T22:59:00Z"), "Africa/Lagos")).toBe("2026-03-01");
  });

  it("retries only what may pass with time", () => {
    expect([408, 429, 500, 503].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 404, 405].some(isRetryableStatus)).toBe(false);
  });
});

describe("parseBulkConfirmation", () => {
  it("reads confirmed ids from data.email_success_info, one per entry or comma-separated", () => {
    const body = {
      code: 0,
      data: {
        email_success_info: [{ code: 0, message: "ok", ids: ["1", "2,3"] }],
        email_error_info: [{ code: 36015, message: "Sales order is already confirmed.", ids: ["4"] }],
      },
    };
    expect(parseBulkConfirmation(body, ["1", "2", "3", "4", "5"])).toEqual({ confirmed: ["1", "2", "3"], unconfirmed: ["4", "5"] });
  });

  it("takes code 0 without a data node as every id confirmed", () => {
    expect(parseBulkConfirmation({ code: 0, message: "done" }, ["1", "2"])).toEqual({ confirmed: ["1", "2"], unconfirmed: [] });
  });
});

describe("outcomeOf", () => {
  it("names how a call ended, for metrics", () => {
    expect(outcomeOf(200, { code: 0 })).toBe("ok");
    expect(outcomeOf(201, { code: 0 })).toBe("ok");
    expect(outcomeOf(200, { access_token: "x", expires_in: 3600 })).toBe("ok");
    expect(outcomeOf(200, { error: "invalid_code" })).toBe("rejected");
    expect(outcomeOf(429, { code: 45 })).toBe("rate_limited");
    expect(outcomeOf(400, { code: 45 })).toBe("rate_limited");
    expect(outcomeOf(401, { code: 57 })).toBe("unauthorised");
    expect(outcomeOf(503, undefined)).toBe("server_error");
    expect(outcomeOf(400, { code: 2 })).toBe("rejected");
  });
});
