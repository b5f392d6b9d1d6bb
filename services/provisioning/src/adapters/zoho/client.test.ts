import { createServer, type AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { startZohoSandbox, type FaultSpec, type RunningZohoSandbox } from "@t2m/zoho-sandbox";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ZohoInventoryClient, type ZohoClientOptions } from "./client.js";
import { ZohoApiError } from "./errors.js";
import type { ZohoRequestEvent } from "./http.js";

let sandbox: RunningZohoSandbox;
let now = Date.parse("2026-03-01T10:00:00Z");
let logLines: string[] = [];

beforeAll(async () => {
  sandbox = await startZohoSandbox({ now: () => now });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.state.reset();
  logLines = [];
});

function newClient(overrides: Partial<ZohoClientOptions> = {}): ZohoInventoryClient {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  return new ZohoInventoryClient({
    accountsUrl: sandbox.url,
    apiUrl: sandbox.apiUrl,
    organizationId: sandbox.organizationId,
    ...sandbox.credentials,
    logger: pino({ level: "debug" }, sink),
    now: () => now,
    ...overrides,
  });
}

const order = (orderId: string, email = "ada@example.ng") => ({
  orderId,
  customer: { customerId: "T2M_USER_9001", name: "Ada Obi", email, phone: "08012345678" },
  line: { sku: "ZOHO-CRM-STD", name: "Zoho CRM Standard", description: "12 months, 1 user", rate: 216000, quantity: 1 },
});

async function injectFault(fault: Omit<FaultSpec, "times"> & { times?: number }) {
  const response = await fetch(`${sandbox.url}/__sandbox/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(fault),
  });
  expect(response.status).toBe(201);
}

async function rejectionOf(promise: Promise<unknown>): Promise<ZohoApiError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(error instanceof ZohoApiError)) throw new Error(`expected a ZohoApiError, got ${String(error)}`);
  return error;
}

const requests = () => sandbox.state.snapshot().requests;

describe("createConfirmedSalesOrder", () => {
  it("creates the contact and a confirmed sales order numbered with the order id", async () => {
    const result = await newClient().createConfirmedSalesOrder(order("T2M123456"));

    const [salesOrder] = sandbox.state.org.salesOrders();
    const [contact] = sandbox.state.org.contacts();
    expect(result).toEqual({ salesOrderId: salesOrder!.salesorder_id, salesOrderNumber: "T2M123456", zohoCustomerId: contact!.contact_id });
    expect(salesOrder).toMatchObject({ status: "confirmed", customer_id: contact!.contact_id, date: "2026-03-01", reference_number: "T2M123456", total: 216000 });
    expect(salesOrder!.line_items).toEqual([expect.objectContaining({ name: "Zoho CRM Standard", description: "12 months, 1 user", rate: 216000, quantity: 1 })]);
    expect(contact).toMatchObject({ contact_name: "Ada Obi", contact_type: "customer", notes: "T2Mobile customer T2M_USER_9001" });
    expect(contact!.contact_persons).toEqual([
      expect.objectContaining({ first_name: "Ada", last_name: "Obi", email: "ada@example.ng", phone: "08012345678", is_primary_contact: true }),
    ]);
  });

  it("reuses an existing contact, found by email whatever its case", async () => {
    const client = newClient();
    await client.createConfirmedSalesOrder(order("T2M-1"));
    await client.createConfirmedSalesOrder(order("T2M-2", "ADA@example.ng"));
    expect(sandbox.state.org.contacts()).toHaveLength(1);
    expect(requests().createContact.total).toBe(1);
  });

  it("returns the same order, confirmed once, when asked again for the same order id", async () => {
    const first = await newClient().createConfirmedSalesOrder(order("T2M-1"));
    // A new client, as after a restart: no cache to lean on.
    const again = await newClient().createConfirmedSalesOrder(order("T2M-1"));
    expect(again).toEqual(first);
    expect(sandbox.state.org.salesOrders()).toHaveLength(1);
    expect(requests().createSalesOrder.byStatus).toEqual({ "201": 1, "400": 1 });
    expect(requests().confirmSalesOrder.total).toBe(1);
  });

  it("finishes the job after dying while Zoho created the order (timeout), creating nothing twice", async () => {
    await injectFault({ operation: "createSalesOrder", delayMs: 1_000 });
    const impatient = newClient({ requestTimeoutMs: 200 });
    const timedOut = await rejectionOf(impatient.createConfirmedSalesOrder(order("T2M-1")));
    expect(timedOut).toMatchObject({ kind: "timeout", operation: "createSalesOrder", retryable: true });
    expect(sandbox.state.org.salesOrders().map((o) => o.status)).toEqual(["draft"]);

    const result = await newClient().createConfirmedSalesOrder(order("T2M-1"));
    const orders = sandbox.state.org.salesOrders();
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ salesorder_id: result.salesOrderId, status: "confirmed" });
  });

  it("does not confirm twice when the first confirmation's answer was lost", async () => {
    await injectFault({ operation: "confirmSalesOrder", delayMs: 1_000 });
    const timedOut = await rejectionOf(newClient({ requestTimeoutMs: 200 }).createConfirmedSalesOrder(order("T2M-1")));
    expect(timedOut).toMatchObject({ kind: "timeout", operation: "confirmSalesOrder" });
    expect(sandbox.state.org.salesOrders()[0]?.status).toBe("confirmed");

    await newClient().createConfirmedSalesOrder(order("T2M-1"));
    expect(requests().confirmSalesOrder.byStatus).toEqual({ "200": 1 });
  });

  it("tolerates a refused confirmation of an order confirmed by someone else meanwhile", async () => {
    // Another actor confirms the draft just before our confirmation reaches Zoho, which then refuses ours.
    const racingFetch: typeof fetch = async (input, init) => {
      const path = new URL(String(input)).pathname;
      const confirming = /\/salesorders\/(\d+)\/status\/confirmed$/.exec(path);
      if (confirming) sandbox.state.org.confirmSalesOrder(confirming[1]!);
      return fetch(input, init);
    };
    const result = await newClient({ fetch: racingFetch }).createConfirmedSalesOrder(order("T2M-1"));
    expect(result.salesOrderNumber).toBe("T2M-1");
    expect(requests().confirmSalesOrder.byStatus).toEqual({ "400": 1 });
    expect(requests().getSalesOrder.byStatus).toEqual({ "200": 1 });
  });

  it("passes on a refused confirmation when the order is still a draft", async () => {
    await injectFault({ operation: "confirmSalesOrder", status: 400, code: 2, message: "Invalid value passed" });
    const error = await rejectionOf(newClient().createConfirmedSalesOrder(order("T2M-1")));
    expect(error).toMatchObject({ operation: "confirmSalesOrder", httpStatus: 400, retryable: false });
    expect(sandbox.state.org.salesOrders()[0]?.status).toBe("draft");
  });

  it("refuses to take over an order with our number that belongs to another customer", async () => {
    const client = newClient();
    await client.createConfirmedSalesOrder(order("T2M-1", "someone.else@example.ng"));
    const error = await rejectionOf(client.createConfirmedSalesOrder(order("T2M-1")));
    expect(error).toMatchObject({ kind: "conflict", retryable: false });
    expect(error.message).toContain("exists for another customer");
  });

  it("fails without retry when no Zoho item has the SKU", async () => {
    const error = await rejectionOf(newClient().createConfirmedSalesOrder({ ...order("T2M-1"), line: { ...order("T2M-1").line, sku: "NO-SUCH-SKU" } }));
    expect(error).toMatchObject({ kind: "missing-item", retryable: false, message: "Zoho has no item with SKU NO-SUCH-SKU (order T2M-1)" });
    expect(sandbox.state.org.salesOrders()).toEqual([]);
  });

  it("makes one contact for a new customer's concurrent orders", async () => {
    const client = newClient();
    await Promise.all([client.createConfirmedSalesOrder(order("T2M-1")), client.createConfirmedSalesOrder(order("T2M-2"))]);
    expect(sandbox.state.org.contacts()).toHaveLength(1);
    expect(sandbox.state.org.salesOrders().map((o) => o.status)).toEqual(["confirmed", "confirmed"]);
  });
});

describe("failures", () => {
  it("marks a 500 retryable and changes nothing", async () => {
    await injectFault({ operation: "createSalesOrder", status: 500 });
    const error = await rejectionOf(newClient().createConfirmedSalesOrder(order("T2M-1")));
    expect(error).toMatchObject({ kind: "http", operation: "createSalesOrder", httpStatus: 500, zohoCode: 1000, retryable: true });
    expect(sandbox.state.org.salesOrders()).toEqual([]);
  });

  it("marks a 429 retryable", async () => {
    await injectFault({ operation: "listItems", status: 429 });
    expect(await rejectionOf(newClient().findItemBySku("ZOHO-CRM-STD"))).toMatchObject({ httpStatus: 429, zohoCode: 45, retryable: true });
  });

  it("marks a 400 not retryable", async () => {
    await injectFault({ operation: "createContact", status: 400, code: 2, message: "Invalid value passed for email" });
    const error = await rejectionOf(newClient().createConfirmedSalesOrder(order("T2M-1")));
    expect(error).toMatchObject({ kind: "http", operation: "createContact", httpStatus: 400, zohoCode: 2, retryable: false });
    expect(error.message).toBe("Zoho createContact failed with HTTP 400 (code 2: Invalid value passed for email)");
  });

  it("reports an unreachable Zoho as a retryable network failure", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const origin = `http://127.0.0.1:${port}`;
    const error = await rejectionOf(newClient({ accountsUrl: origin, apiUrl: `${origin}/inventory/v1` }).findItemBySku("X"));
    expect(error).toMatchObject({ kind: "network", operation: "token", retryable: true });
    expect(error.message).toBe(`Zoho token could not reach 127.0.0.1:${port}: ECONNREFUSED`);
  });

  it("fails the token refresh on bad credentials without repeating them", async () => {
    const client = newClient({ refreshToken: "1000.revoked.refresh.token", clientSecret: "a-secret-never-to-be-shown" });
    const error = await rejectionOf(client.findItemBySku("ZOHO-CRM-STD"));
    expect(error).toMatchObject({ kind: "oauth", oauthError: "invalid_client", retryable: false });
    const wrongRefreshToken = await rejectionOf(newClient({ refreshToken: "1000.revoked.refresh.token" }).findItemBySku("ZOHO-CRM-STD"));
    expect(wrongRefreshToken).toMatchObject({ kind: "oauth", oauthError: "invalid_code", retryable: false });
    for (const text of [error.message, wrongRefreshToken.message, ...logLines]) {
      expect(text).not.toContain("revoked");
      expect(text).not.toContain("a-secret-never-to-be-shown");
    }
  });
});

describe("access tokens", () => {
  it("refreshes once for many concurrent first calls, then reuses the token", async () => {
    const client = newClient();
    await Promise.all(["ZOHO-CRM-STD", "ZOHO-CRM-PRO", "ZOHO-BOOKS-STD", "ZOHO-MAIL-LITE"].map((sku) => client.findItemBySku(sku)));
    await client.findContactByEmail("ada@example.ng");
    expect(sandbox.state.tokens.issuedCount).toBe(1);
  });

  it("refreshes and retries once when Zoho refuses an expired token", async () => {
    const client = newClient();
    await client.findContactByEmail("ada@example.ng");
    await fetch(`${sandbox.url}/__sandbox/expire-tokens`, { method: "POST" });
    await expect(client.findContactByEmail("ada@example.ng")).resolves.toBeUndefined();
    expect(sandbox.state.tokens.issuedCount).toBe(2);
    expect(requests().findContacts.byStatus).toEqual({ "200": 2, "401": 1 });
  });

  it("gives up after one retry when Zoho keeps answering 401", async () => {
    await injectFault({ operation: "findContacts", status: 401, times: -1 });
    const error = await rejectionOf(newClient().findContactByEmail("ada@example.ng"));
    expect(error).toMatchObject({ httpStatus: 401, zohoCode: 57, retryable: false });
    expect(requests().findContacts.total).toBe(2);
  });

  it("refreshes shortly before the token expires, without waiting for a 401", async () => {
    const client = newClient();
    await client.findContactByEmail("ada@example.ng");
    now += 3600 * 1000 - 30_000;
    await client.findContactByEmail("ada@example.ng");
    expect(sandbox.state.tokens.issuedCount).toBe(2);
    expect(requests().findContacts.byStatus).toEqual({ "200": 2 });
  });

  it("never logs or reports a token or secret", async () => {
    const events: ZohoRequestEvent[] = [];
    const client = newClient({ onRequest: (event) => events.push(event) });
    await client.createConfirmedSalesOrder(order("T2M-1"));
    expect(events.map((e) => e.operation)).toEqual(["token", "listItems", "findContacts", "createContact", "createSalesOrder", "confirmSalesOrder"]);
    expect(events.every((e) => typeof e.status === "number" && e.durationMs >= 0)).toBe(true);
    const log = logLines.join("");
    expect(log).toContain("zoho request");
    for (const secret of [sandbox.credentials.clientSecret, sandbox.credentials.refreshToken, "Zoho-oauthtoken", "1000."]) {
      expect(log).not.toContain(secret);
    }
    expect(log).not.toContain("ada@example.ng");
  });
});

describe("lookups", () => {
  it("caches an item found by SKU, but not a miss", async () => {
    const client = newClient();
    expect(await client.findItemBySku("ZOHO-CRM-STD")).toMatchObject({ sku: "ZOHO-CRM-STD", name: "Zoho CRM Standard", rate: 216000 });
    await client.findItemBySku("ZOHO-CRM-STD");
    expect(await client.findItemBySku("NOPE")).toBeUndefined();
    await client.findItemBySku("NOPE");
    expect(requests().listItems.total).toBe(3);
  });

  it("pages through sales orders to find one by number, within its bound", async () => {
    const client = newClient({ salesOrderLookupMaxPages: 2 });
    const customerId = (await client.createContact({ name: "Ada", email: "ada@example.ng", phone: "" })).contactId;
    const itemId = (await client.findItemBySku("ZOHO-CRM-STD"))!.itemId;
    // 401 orders: the oldest sits on page 3 of 200-order pages, newest first.
    for (let n = 0; n <= 400; n++) {
      sandbox.state.org.createSalesOrder(
        { customer_id: customerId, salesorder_number: `N-${n}`, line_items: [{ item_id: itemId }] },
        { ignoreAutoNumberGeneration: true },
      );
    }
    expect(await client.findSalesOrderByNumber("N-1")).toMatchObject({ salesOrderNumber: "N-1", customerId });
    expect(await client.findSalesOrderByNumber("N-0")).toBeUndefined();
    expect(await newClient().findSalesOrderByNumber("N-0")).toMatchObject({ salesOrderNumber: "N-0" });
  });
});
