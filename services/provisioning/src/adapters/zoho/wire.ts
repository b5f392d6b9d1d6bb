import { isRateLimitAnswer, isRetryableStatus, ZohoApiError, type ZohoOperation } from "./errors.js";

// Zoho's wire format in and out, as small pure functions. Field names follow
// shared/reference/zoho-api.md and the Inventory v1 OpenAPI contracts.

export interface ZohoItem {
  readonly itemId: string;
  readonly name: string;
  readonly sku: string;
  readonly rate: number;
  readonly status: string;
}

export interface ZohoContact {
  readonly contactId: string;
  readonly contactName: string;
  /** The primary contact person's email ("" when there is none). */
  readonly email: string;
  readonly contactType: string;
}

export interface ZohoSalesOrder {
  readonly salesOrderId: string;
  readonly salesOrderNumber: string;
  readonly customerId: string;
  /** Zoho's status, e.g. "draft" or "confirmed" (the full list is undocumented). */
  readonly status: string;
}

export interface NewContact {
  readonly name: string;
  readonly email: string;
  readonly phone: string;
  readonly notes?: string;
}

export interface NewSalesOrderLine {
  readonly itemId: string;
  readonly name: string;
  readonly description: string;
  /** Unit price in the organisation's currency, in major units (naira). */
  readonly rate: number;
  readonly quantity: number;
}

export interface NewSalesOrder {
  readonly salesorderNumber: string;
  readonly customerId: string;
  /** yyyy-mm-dd */
  readonly date: string;
  readonly lineItems: readonly NewSalesOrderLine[];
  readonly referenceNumber?: string;
  readonly notes?: string;
}

export interface AccessTokenGrant {
  readonly accessToken: string;
  readonly expiresInSeconds: number;
  readonly apiDomain: string | undefined;
}

export function tokenRequestBody(credentials: { clientId: string; clientSecret: string; refreshToken: string }): URLSearchParams {
  return new URLSearchParams({
    grant_type: "refresh_token",
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
    refresh_token: credentials.refreshToken,
  });
}

/**
 * Any body with an `error` key is a failure, whatever the status: Zoho
 * answers a bad refresh token with HTTP 200 and `{"error":"invalid_code"}`,
 * and too many refreshes with HTTP 200 and "Access Denied" (worth retrying later).
 */
export function parseTokenResponse(httpStatus: number, json: unknown): AccessTokenGrant {
  const body = isRecord(json) ? json : undefined;
  if (body && "error" in body) {
    const oauthError = typeof body.error === "string" ? body.error : JSON.stringify(body.error);
    throw new ZohoApiError({
      operation: "token",
      kind: "oauth",
      httpStatus,
      oauthError,
      retryable: /access denied/i.test(oauthError) || isRetryableStatus(httpStatus),
      message: `Zoho refused the token refresh: ${oauthError}`,
    });
  }
  if (httpStatus < 200 || httpStatus > 299) throw httpError("token", httpStatus, undefined);
  const accessToken = body?.access_token;
  // Older Zoho answers gave expires_in in milliseconds with expires_in_sec beside it; prefer the explicit one.
  const expires = body?.expires_in_sec ?? body?.expires_in;
  if (typeof accessToken !== "string" || accessToken === "" || typeof expires !== "number" || !(expires > 0)) {
    throw unexpected("token", "the token answer has no access_token or expires_in");
  }
  return { accessToken, expiresInSeconds: expires, apiDomain: typeof body?.api_domain === "string" ? body.api_domain : undefined };
}

/**
 * Zoho's envelope: success is a 2xx status and `code` 0; anything else
 * becomes a ZohoApiError, retryable for 408, 429, 5xx and code 45 ("Request
 * Limit Exceeded", whatever status carries it). `retryAfterMs` is what the
 * answer's Retry-After said, if anything.
 */
export function parseEnvelope(operation: ZohoOperation, httpStatus: number, json: unknown, retryAfterMs?: number): Record<string, unknown> {
  const body = isRecord(json) ? json : undefined;
  const ok = httpStatus >= 200 && httpStatus <= 299;
  if (ok && body?.code === 0) return body;
  if (ok && !body) throw unexpected(operation, "the answer is not a JSON object");
  throw httpError(operation, httpStatus, body, retryAfterMs);
}

function httpError(operation: ZohoOperation, httpStatus: number, body: Record<string, unknown> | undefined, retryAfterMs?: number): ZohoApiError {
  const zohoCode = typeof body?.code === "number" ? body.code : undefined;
  const zohoMessage = typeof body?.message === "string" ? body.message : undefined;
  const detail = [zohoCode === undefined ? undefined : `code ${zohoCode}`, zohoMessage].filter(Boolean).join(": ");
  return new ZohoApiError({
    operation,
    kind: "http",
    httpStatus,
    zohoCode,
    zohoMessage,
    retryAfterMs,
    retryable: isRetryableStatus(httpStatus) || isRateLimitAnswer(httpStatus, zohoCode),
    message: `Zoho ${operation} failed with HTTP ${httpStatus}${detail ? ` (${detail})` : ""}`,
  });
}

export function contactPayload(contact: NewContact): Record<string, unknown> {
  const [firstName, lastName] = splitName(contact.name);
  return {
    contact_name: contact.name,
    contact_type: "customer",
    ...(contact.notes ? { notes: contact.notes } : {}),
    contact_persons: [
      {
        first_name: firstName,
        ...(lastName ? { last_name: lastName } : {}),
        email: contact.email,
        ...(contact.phone ? { phone: contact.phone } : {}),
        is_primary_contact: true,
      },
    ],
  };
}

export function salesOrderPayload(order: NewSalesOrder): Record<string, unknown> {
  return {
    customer_id: order.customerId,
    salesorder_number: order.salesorderNumber,
    date: order.date,
    ...(order.referenceNumber ? { reference_number: order.referenceNumber } : {}),
    ...(order.notes ? { notes: order.notes } : {}),
    line_items: order.lineItems.map((line) => ({
      item_id: line.itemId,
      name: line.name,
      description: line.description,
      rate: line.rate,
      quantity: line.quantity,
    })),
  };
}

export function parseItems(body: Record<string, unknown>): ZohoItem[] {
  return arrayField("listItems", body, "items").map((raw) => {
    const item = recordOf("listItems", raw, "item");
    return {
      itemId: idField("listItems", item, "item_id"),
      name: stringField(item, "name"),
      sku: stringField(item, "sku"),
      rate: typeof item.rate === "number" ? item.rate : Number.NaN,
      status: stringField(item, "status"),
    };
  });
}

export function parseContacts(body: Record<string, unknown>): ZohoContact[] {
  return arrayField("findContacts", body, "contacts").map((raw) => contactOf("findContacts", raw));
}

export function parseCreatedContact(body: Record<string, unknown>): ZohoContact {
  const contact = recordOf("createContact", body.contact, "contact");
  const persons = Array.isArray(contact.contact_persons) ? contact.contact_persons.filter(isRecord) : [];
  const primary = persons.find((p) => p.is_primary_contact === true) ?? persons[0];
  return { ...contactOf("createContact", contact), email: primary ? stringField(primary, "email") : "" };
}

/**
 * The created or fetched order. Zoho's OpenAPI calls the create answer's node
 * `sales_order`, the live API and the retrieve answer `salesorder`; take either.
 */
export function parseSalesOrder(operation: ZohoOperation, body: Record<string, unknown>): ZohoSalesOrder {
  return salesOrderOf(operation, body.salesorder ?? body.sales_order);
}

export function parseSalesOrderPage(body: Record<string, unknown>): { orders: ZohoSalesOrder[]; hasMorePage: boolean } {
  const orders = arrayField("listSalesOrders", body, "salesorders").map((raw) => salesOrderOf("listSalesOrders", raw));
  const context = isRecord(body.page_context) ? body.page_context : undefined;
  return { orders, hasMorePage: context?.has_more_page === true };
}

/**
 * The bulk confirmation's answer, in the contract's shape: ids confirmed in
 * data.email_success_info[].ids, refusals in data.email_error_info[] (whose
 * shape the contract leaves open; ids are read when given). An id in a
 * comma-separated string counts too (the contract's example). Without a
 * data node, code 0 alone says every id was confirmed ([U]).
 */
export function parseBulkConfirmation(body: Record<string, unknown>, requested: readonly string[]): { confirmed: string[]; unconfirmed: string[] } {
  const data = isRecord(body.data) ? body.data : undefined;
  if (!data) return { confirmed: [...requested], unconfirmed: [] };
  const idsIn = (list: unknown) =>
    new Set(
      (Array.isArray(list) ? list : [])
        .filter(isRecord)
        .flatMap((entry) => (Array.isArray(entry.ids) ? entry.ids : []))
        .flatMap((id) => (typeof id === "string" ? id.split(",") : typeof id === "number" ? [String(id)] : []))
        .map((id) => id.trim())
        .filter((id) => id !== ""),
    );
  const succeeded = idsIn(data.email_success_info);
  return { confirmed: requested.filter((id) => succeeded.has(id)), unconfirmed: requested.filter((id) => !succeeded.has(id)) };
}

/** "Ada Obi Eze" → ["Ada", "Obi Eze"]; a single name is all first name. */
export function splitName(name: string): [string, string] {
  const trimmed = name.trim();
  const space = trimmed.search(/\s/);
  return space === -1 ? [trimmed, ""] : [trimmed.slice(0, space), trimmed.slice(space).trim()];
}

/** The calendar date (yyyy-mm-dd) at an instant in a time zone, e.g. Lagos for T2Mobile's orders. */
const dateFormats = new Map<string, Intl.DateTimeFormat>();

export function calendarDate(at: number, timeZone: string): string {
  // Building a formatter costs far more than using one: keep one per zone.
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    dateFormats.set(timeZone, format);
  }
  return format.format(at);
}

function contactOf(operation: ZohoOperation, raw: unknown): ZohoContact {
  const contact = recordOf(operation, raw, "contact");
  return {
    contactId: idField(operation, contact, "contact_id"),
    contactName: stringField(contact, "contact_name"),
    email: stringField(contact, "email"),
    contactType: stringField(contact, "contact_type"),
  };
}

function salesOrderOf(operation: ZohoOperation, raw: unknown): ZohoSalesOrder {
  const order = recordOf(operation, raw, "salesorder");
  return {
    salesOrderId: idField(operation, order, "salesorder_id"),
    salesOrderNumber: idField(operation, order, "salesorder_number"),
    customerId: idField(operation, order, "customer_id"),
    status: stringField(order, "status"),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function recordOf(operation: ZohoOperation, value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw unexpected(operation, `the answer has no ${what} object`);
  return value;
}

function arrayField(operation: ZohoOperation, body: Record<string, unknown>, field: string): unknown[] {
  const value = body[field];
  if (!Array.isArray(value)) throw unexpected(operation, `the answer has no ${field} list`);
  return value;
}

/** Zoho ids are strings, though its own examples show some as JSON numbers. */
function idField(operation: ZohoOperation, record: Record<string, unknown>, field: string): string {
  const value = record[field];
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  throw unexpected(operation, `the answer has no ${field}`);
}

function stringField(record: Record<string, unknown>, field: string): string {
  const value = record[field];
  return typeof value === "string" ? value : "";
}

function unexpected(operation: ZohoOperation, what: string): ZohoApiError {
  return new ZohoApiError({ operation, kind: "unexpected-response", retryable: false, message: `Zoho ${operation}: ${what}` });
}
