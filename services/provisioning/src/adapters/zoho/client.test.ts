import { createServer, type AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { startZohoSandbox, type FaultSpec, type RunningZohoSandbox } from "@t2m/zoho-sandbox";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BudgetExhaustedError, type CallContext } from "../../domain/call-budget.js";
import { ZohoInventoryClient, type ZohoCallGate, type ZohoClientOptions } from "./client.js";
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

/** A gate that lets every call through at once and remembers what it was asked. */
function spyGate() {
  const contexts: CallContext[] = [];
  const pauses: number[] = [];
  const gate: ZohoCallGate = {
    run: async (ctx, call) => {
      contexts.push(ctx);
      return call(Date.now());
    },
    pauseFor: async (ms) => void pauses.push(ms),
  };
  return { gate, contexts, pauses };
}

/** A contact and the CRM item in the sandbox, and a draft numbered `number` for them. */
function draft(number: string) {
  const contact = sandbox.state.org.createContact({ contact_name: "Ada Obi", contact_persons: [{ email: "ada@example.ng" }] });
  const item = sandbox.state.org.listItems({ sku: "ZOHO-CRM-STD" }, { page: 1, perPage: 1 }).page[0]!;
  return sandbox.state.org.createSalesOrder(
    { customer_id: contact.contact_id, salesorder_number: number, line_items: [{ item_id: item.item_id }] },
    { ignoreAutoNumberGeneration: true },
  );
}

const newDraft = (customerId: string, itemId: string, number: string) => ({
  salesorderNumber: number,
  customerId,
  date: "2026-03-01",
  referenceNumber: number,
  lineItems: [{ itemId, name: "Zoho CRM Standard", description: "12 months, 1 user", rate: 216000, quantity: 1 }],
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

describe("calls", () => {
  it("caches an item found by SKU, but not a miss, and forgets it when told", async () => {
    const client = newClient();
    expect(await client.findItemBySku("ZOHO-CRM-STD")).toMatchObject({ sku: "ZOHO-CRM-STD", name: "Zoho CRM Standard", rate: 216000 });
    await client.findItemBySku("ZOHO-CRM-STD");
    expect(await client.findItemBySku("NOPE")).toBeUndefined();
    await client.findItemBySku("NOPE");
    client.forgetItem("ZOHO-CRM-STD");
    await client.findItemBySku("ZOHO-CRM-STD");
    expect(requests().listItems.total).toBe(4);
  });

  it("creates a draft numbered as asked, with the organisation's own numbering off", async () => {
    const client = newClient();
    const contact = await client.createContact({ name: "Ada Obi", email: "ada@example.ng", phone: "08012345678", notes: "T2Mobile customer C1" });
    const item = (await client.findItemBySku("ZOHO-CRM-STD"))!;
    const created = await client.createSalesOrder(newDraft(contact.contactId, item.itemId, "T2M-1"));
    expect(created).toMatchObject({ salesOrderNumber: "T2M-1", customerId: contact.contactId, status: "draft" });
    expect(sandbox.state.org.salesOrders()[0]).toMatchObject({ reference_number: "T2M-1", total: 216000, date: "2026-03-01" });
    expect(await client.findContactByEmail("ADA@example.ng")).toMatchObject({ contactId: contact.contactId });
  });

  it("finds a sales order by number with one filtered call, checking the number itself", async () => {
    for (const n of ["N-1", "N-10", "N-100"]) draft(n);
    const client = newClient();
    expect(await client.findSalesOrderByNumber("N-10")).toMatchObject({ salesOrderNumber: "N-10", status: "draft" });
    expect(await client.findSalesOrderByNumber("N-2")).toBeUndefined();
    expect(requests().listSalesOrders.total).toBe(2);
    // A Zoho that ignored the filter would answer the newest orders: none of them is taken for N-1 unless it is N-1.
    const ignoringFilter: typeof fetch = async (input, init) => {
      const url = new URL(String(input));
      url.searchParams.delete("salesorder_number");
      return fetch(url, init);
    };
    const lax = newClient({ fetch: ignoringFilter });
    expect(await lax.findSalesOrderByNumber("N-2")).toBeUndefined();
    expect(await lax.findSalesOrderByNumber("N-1")).toMatchObject({ salesOrderNumber: "N-1" });
  });

  it("confirms in bulk, telling the ids Zoho confirmed from those it did not", async () => {
    const [a, b, c] = ["A", "B", "C"].map(draft);
    sandbox.state.org.confirmSalesOrder(b!.salesorder_id);
    const result = await newClient().bulkConfirmSalesOrders([a!.salesorder_id, b!.salesorder_id, c!.salesorder_id]);
    expect(result).toEqual({ confirmed: [a!.salesorder_id, c!.salesorder_id], unconfirmed: [b!.salesorder_id] });
    expect(requests().bulkConfirmSalesOrders.byStatus).toEqual({ "200": 1 });
  });

  it("confirms one, gets one, and voids one", async () => {
    const order = draft("T2M-1");
    const client = newClient();
    await client.confirmSalesOrder(order.salesorder_id);
    expect((await client.getSalesOrder(order.salesorder_id)).status).toBe("confirmed");
    await client.voidSalesOrder(order.salesorder_id);
    expect((await client.getSalesOrder(order.salesorder_id)).status).toBe("void");
    expect(await rejectionOf(client.voidSalesOrder(order.salesorder_id))).toMatchObject({ operation: "voidSalesOrder", httpStatus: 400, zohoCode: 36015, retryable: false });
  });

  it("makes every call within the budget, with the caller's context", async () => {
    const { gate, contexts } = spyGate();
    const ctx = { priority: 1_700_000_000_000, deadline: Date.now() + 5_000 };
    const client = newClient({ budget: gate });
    await client.findItemBySku("ZOHO-CRM-STD", ctx);
    await client.findContactByEmail("ada@example.ng", ctx);
    expect(contexts).toEqual([ctx, ctx]);
  });
});

describe("rate limits", () => {
  it("pauses every call for as long as Zoho's Retry-After says on a 429, then makes the call again", async () => {
    await injectFault({ operation: "listItems", status: 429, retryAfterSeconds: 3 });
    const { gate, pauses } = spyGate();
    const limited: string[] = [];
    const client = newClient({ budget: gate, onRateLimited: (e) => limited.push(`${e.operation}:${e.pauseMs}`) });
    expect(await client.findItemBySku("ZOHO-CRM-STD")).toMatchObject({ sku: "ZOHO-CRM-STD" });
    expect(pauses).toEqual([3_000]);
    expect(limited).toEqual(["listItems:3000"]);
    expect(requests().listItems.byStatus).toEqual({ "200": 1, "429": 1 });
  });

  it("treats code 45 on another status the same way", async () => {
    await injectFault({ operation: "createContact", status: 400, code: 45, message: "Request Limit Exceeded" });
    const { gate, pauses } = spyGate();
    const contact = await newClient({ budget: gate }).createContact({ name: "Ada", email: "ada@example.ng", phone: "" });
    expect(contact.contactId).toBeTruthy();
    expect(pauses).toEqual([1_000]);
    expect(requests().createContact.byStatus).toEqual({ "201": 1, "400": 1 });
  });

  it("gives up with BudgetExhaustedError when the pause outlasts the call's deadline", async () => {
    await injectFault({ operation: "listItems", status: 429, retryAfterSeconds: 30 });
    const client = newClient();
    const error = await client.findItemBySku("ZOHO-CRM-STD", { priority: 0, deadline: Date.now() + 5_000 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(BudgetExhaustedError);
    expect((error as BudgetExhaustedError).retryAfterMs).toBeGreaterThan(25_000);
    expect(requests().listItems.total).toBe(1);
  });
});

describe("failures", () => {
  it("marks a 500 retryable and a 503's Retry-After as when to try again", async () => {
    await injectFault({ operation: "listItems", status: 500 });
    expect(await rejectionOf(newClient().findItemBySku("ZOHO-CRM-STD"))).toMatchObject({
      kind: "http",
      operation: "listItems",
      httpStatus: 500,
      zohoCode: 1000,
      retryable: true,
      retryAfterMs: undefined,
    });
    const retryAfter: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (response.status !== 503) return response;
      return new Response(await response.text(), { status: 503, headers: { "retry-after": "4", "content-type": "application/json" } });
    };
    await injectFault({ operation: "listItems", status: 503 });
    expect(await rejectionOf(newClient({ fetch: retryAfter }).findItemBySku("ZOHO-CRM-STD"))).toMatchObject({ httpStatus: 503, retryable: true, retryAfterMs: 4_000 });
  });

  it("marks a 400 not retryable, keeping Zoho's code and message", async () => {
    await injectFault({ operation: "createContact", status: 400, code: 2, message: "Invalid value passed for email" });
    const error = await rejectionOf(newClient().createContact({ name: "Ada", email: "ada@example.ng", phone: "" }));
    expect(error).toMatchObject({ kind: "http", operation: "createContact", httpStatus: 400, zohoCode: 2, zohoMessage: "Invalid value passed for email", retryable: false });
    expect(error.message).toBe("Zoho createContact failed with HTTP 400 (code 2: Invalid value passed for email)");
  });

  it("times out a call Zoho holds too long, retryably", async () => {
    await injectFault({ operation: "listItems", delayMs: 1_000 });
    expect(await rejectionOf(newClient({ requestTimeoutMs: 200 }).findItemBySku("ZOHO-CRM-STD"))).toMatchObject({
      kind: "timeout",
      operation: "listItems",
      retryable: true,
    });
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
    const item = (await client.findItemBySku("ZOHO-CRM-STD"))!;
    await client.findContactByEmail("ada@example.ng");
    const contact = await client.createContact({ name: "Ada Obi", email: "ada@example.ng", phone: "08012345678" });
    const created = await client.createSalesOrder(newDraft(contact.contactId, item.itemId, "T2M-1"));
    await client.confirmSalesOrder(created.salesOrderId);
    expect(events.map((e) => e.operation)).toEqual(["token", "listItems", "findContacts", "createContact", "createSalesOrder", "confirmSalesOrder"]);
    expect(events.every((e) => typeof e.status === "number" && e.outcome === "ok" && e.durationMs >= 0)).toBe(true);
    const log = logLines.join("");
    expect(log).toContain("zoho request");
    for (const secret of [sandbox.credentials.clientSecret, sandbox.credentials.refreshToken, "Zoho-oauthtoken", "1000."]) {
      expect(log).not.toContain(secret);
    }
    expect(log).not.toContain("ada@example.ng");
  });
});

