import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SandboxDefaults } from "@t2m/topology";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startZohoSandbox, type RunningZohoSandbox } from "./index.js";

let sandbox: RunningZohoSandbox;
let now = Date.parse("2026-03-01T10:00:00Z");

beforeAll(async () => {
  sandbox = await startZohoSandbox({ now: () => now });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await control("POST", "/reset");
});

const tokenForm = {
  grant_type: "refresh_token",
  client_id: SandboxDefaults.zohoClientId,
  client_secret: SandboxDefaults.zohoClientSecret,
  refresh_token: SandboxDefaults.zohoRefreshToken,
};

async function requestToken(fields: Record<string, string> = tokenForm) {
  const response = await fetch(`${sandbox.url}/oauth/v2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function accessToken(): Promise<string> {
  const { body } = await requestToken();
  return body.access_token as string;
}

async function api(method: string, path: string, options: { token?: string; body?: unknown; query?: Record<string, string>; org?: string | null } = {}) {
  const url = new URL(`${sandbox.apiUrl}${path}`);
  const org = options.org === undefined ? sandbox.organizationId : options.org;
  if (org !== null) url.searchParams.set("organization_id", org);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.token) headers.authorization = `Zoho-oauthtoken ${options.token}`;
  const response = await fetch(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  return { status: response.status, body: (await response.json()) as Record<string, any>, headers: response.headers };
}

async function control(method: string, path: string, body?: unknown) {
  const response = await fetch(`${sandbox.url}/__sandbox${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function customerAndItem(token: string) {
  const contact = await api("POST", "/contacts", {
    token,
    body: { contact_name: "Ada Obi", contact_type: "customer", contact_persons: [{ first_name: "Ada", email: "ada@example.ng", is_primary_contact: true }] },
  });
  const items = await api("GET", "/items", { token, query: { sku: "ZOHO-CRM-STD" } });
  return { customerId: contact.body.contact.contact_id as string, itemId: items.body.items[0].item_id as string };
}

const salesOrder = (customerId: string, itemId: string, number = "T2M-1001") => ({
  customer_id: customerId,
  salesorder_number: number,
  date: "2026-03-01",
  line_items: [{ item_id: itemId, name: "Zoho CRM Standard", rate: 216000, quantity: 1 }],
});

describe("token endpoint", () => {
  it("grants a token for a form body, naming the sandbox as api_domain", async () => {
    const { status, body } = await requestToken();
    expect(status).toBe(200);
    expect(body).toEqual({ access_token: expect.stringMatching(/^1000\./), expires_in: 3600, api_domain: sandbox.url, token_type: "Bearer" });
  });

  it("also takes the parameters in the query, as Zoho's docs show", async () => {
    const response = await fetch(`${sandbox.url}/oauth/v2/token?${new URLSearchParams(tokenForm)}`, { method: "POST" });
    expect(await response.json()).toMatchObject({ token_type: "Bearer" });
  });

  it("answers bad credentials with HTTP 200 and an error key", async () => {
    expect(await requestToken({ ...tokenForm, refresh_token: "1000.revoked" })).toEqual({ status: 200, body: { error: "invalid_code" } });
    expect(await requestToken({ ...tokenForm, client_secret: "guess" })).toEqual({ status: 200, body: { error: "invalid_client" } });
  });
});

describe("Inventory API admission", () => {
  it("refuses a call without a live token with 401 and Zoho's envelope", async () => {
    expect(await api("GET", "/items")).toMatchObject({ status: 401, body: { code: 57, message: "You are not authorized to perform this operation" } });
    expect((await api("GET", "/items", { token: "1000.made.up" })).status).toBe(401);
  });

  it("refuses a token once it has expired, by time or on request", async () => {
    const token = await accessToken();
    expect((await api("GET", "/items", { token })).status).toBe(200);
    now += 3600 * 1000;
    expect((await api("GET", "/items", { token })).status).toBe(401);
    const fresh = await accessToken();
    expect(await control("POST", "/expire-tokens")).toEqual({ status: 200, body: { expired: 1 } });
    expect((await api("GET", "/items", { token: fresh })).status).toBe(401);
  });

  it("requires this organisation's organization_id", async () => {
    const token = await accessToken();
    expect(await api("GET", "/items", { token, org: null })).toMatchObject({ status: 400, body: { code: 9017 } });
    expect(await api("GET", "/items", { token, org: "999" })).toMatchObject({ status: 401, body: { code: 57 } });
  });

  it("answers unknown URLs and methods with Zoho's envelope", async () => {
    const token = await accessToken();
    expect(await api("GET", "/invoices", { token })).toMatchObject({ status: 404, body: { code: 5, message: "Invalid URL Passed" } });
    expect((await api("DELETE", "/salesorders", { token })).status).toBe(405);
  });
});

describe("Inventory API", () => {
  it("lists seeded items by SKU with a page context", async () => {
    const token = await accessToken();
    const { status, body } = await api("GET", "/items", { token, query: { sku: "ZOHO-CRM-STD" } });
    expect(status).toBe(200);
    expect(body).toMatchObject({ code: 0, message: "success", page_context: { page: 1, per_page: 200, has_more_page: false } });
    expect(body.items).toEqual([expect.objectContaining({ sku: "ZOHO-CRM-STD", name: "Zoho CRM Standard", rate: 216000, status: "active" })]);
    expect((await api("GET", "/items", { token, query: { per_page: "500" } })).status).toBe(400);
  });

  it("creates a contact (201) and finds it by email", async () => {
    const token = await accessToken();
    const created = await api("POST", "/contacts", {
      token,
      body: { contact_name: "Ada Obi", contact_persons: [{ email: "ada@example.ng", phone: "0801", is_primary_contact: true }] },
    });
    expect(created).toMatchObject({ status: 201, body: { code: 0, message: "The contact has been created", contact: { contact_name: "Ada Obi" } } });
    const found = await api("GET", "/contacts", { token, query: { email: "ada@example.ng" } });
    expect(found.body.contacts).toEqual([expect.objectContaining({ contact_id: created.body.contact.contact_id, email: "ada@example.ng" })]);
  });

  it("creates a sales order under the `salesorder` node, rejects its number twice, and confirms it", async () => {
    const token = await accessToken();
    const { customerId, itemId } = await customerAndItem(token);
    const query = { ignore_auto_number_generation: "true" };
    const created = await api("POST", "/salesorders", { token, query, body: salesOrder(customerId, itemId) });
    expect(created.status).toBe(201);
    expect(created.body.salesorder).toMatchObject({ salesorder_number: "T2M-1001", status: "draft", customer_id: customerId, total: 216000 });
    const id = created.body.salesorder.salesorder_id as string;

    expect(await api("POST", "/salesorders", { token, query, body: salesOrder(customerId, itemId) })).toMatchObject({ status: 400, body: { code: 1001 } });

    expect(await api("POST", `/salesorders/${id}/status/confirmed`, { token })).toMatchObject({
      status: 200,
      body: { code: 0, message: "Sales order status has been changed to 'Confirmed'." },
    });
    expect((await api("GET", `/salesorders/${id}`, { token })).body.salesorder.status).toBe("confirmed");
    const listed = await api("GET", "/salesorders", { token, query: { page: "1", per_page: "10" } });
    expect(listed.body.salesorders).toEqual([expect.objectContaining({ salesorder_id: id, salesorder_number: "T2M-1001", status: "confirmed" })]);
  });

  it("accepts the legacy JSONString form field and refuses malformed JSON", async () => {
    const token = await accessToken();
    const form = await fetch(`${sandbox.apiUrl}/contacts?organization_id=${sandbox.organizationId}`, {
      method: "POST",
      headers: { authorization: `Zoho-oauthtoken ${token}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ JSONString: JSON.stringify({ contact_name: "Form Customer" }) }),
    });
    expect(form.status).toBe(201);
    const broken = await fetch(`${sandbox.apiUrl}/contacts?organization_id=${sandbox.organizationId}`, {
      method: "POST",
      headers: { authorization: `Zoho-oauthtoken ${token}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect({ status: broken.status, body: await broken.json() }).toEqual({ status: 400, body: { code: 1038, message: "JSON is not well formed" } });
  });
});

describe("Inventory API: finding, confirming in bulk and voiding sales orders", () => {
  it("filters the list by exact salesorder_number or reference_number", async () => {
    const token = await accessToken();
    const { customerId, itemId } = await customerAndItem(token);
    const query = { ignore_auto_number_generation: "true" };
    for (const n of ["T2M-1", "T2M-10"]) await api("POST", "/salesorders", { token, query, body: { ...salesOrder(customerId, itemId, n), reference_number: n } });
    const byNumber = await api("GET", "/salesorders", { token, query: { salesorder_number: "T2M-1" } });
    expect(byNumber.body.salesorders.map((o: { salesorder_number: string }) => o.salesorder_number)).toEqual(["T2M-1"]);
    const byReference = await api("GET", "/salesorders", { token, query: { reference_number: "T2M-10" } });
    expect(byReference.body.salesorders.map((o: { reference_number: string }) => o.reference_number)).toEqual(["T2M-10"]);
  });

  it("confirms in bulk, listing confirmed and refused ids in the contract's data node, and counts the call", async () => {
    const token = await accessToken();
    const { customerId, itemId } = await customerAndItem(token);
    const query = { ignore_auto_number_generation: "true" };
    const ids: string[] = [];
    for (const n of ["A", "B"]) ids.push((await api("POST", "/salesorders", { token, query, body: salesOrder(customerId, itemId, n) })).body.salesorder.salesorder_id);
    await api("POST", `/salesorders/${ids[1]}/status/confirmed`, { token });
    const bulk = await api("POST", "/salesorders/status/confirmed", { token, query: { salesorder_ids: ids.join(",") } });
    expect(bulk).toMatchObject({
      status: 200,
      body: {
        code: 0,
        data: {
          email_success_info: [{ code: 0, ids: [ids[0]] }],
          email_error_info: [{ code: 36015, message: "Sales order is already confirmed.", ids: [ids[1]] }],
        },
      },
    });
    expect((await api("POST", "/salesorders/status/confirmed", { token })).body).toMatchObject({ code: 2 });
    expect(sandbox.state.snapshot().requests.bulkConfirmSalesOrders).toEqual({ total: 2, byStatus: { "200": 1, "400": 1 } });
  });

  it("voids a sales order, and refuses to void it twice", async () => {
    const token = await accessToken();
    const { customerId, itemId } = await customerAndItem(token);
    const id = (await api("POST", "/salesorders", { token, query: { ignore_auto_number_generation: "true" }, body: salesOrder(customerId, itemId) })).body.salesorder
      .salesorder_id as string;
    expect(await api("POST", `/salesorders/${id}/status/void`, { token })).toMatchObject({
      status: 200,
      body: { code: 0, message: "The status of the Sales Order has been changed to void." },
    });
    expect((await api("GET", `/salesorders/${id}`, { token })).body.salesorder.status).toBe("void");
    expect(await api("POST", `/salesorders/${id}/status/void`, { token })).toMatchObject({ status: 400, body: { code: 36015 } });
  });
});

describe("control API", () => {
  it("answers the next calls with an injected status without touching state, then recovers", async () => {
    const token = await accessToken();
    const { customerId, itemId } = await customerAndItem(token);
    expect((await control("POST", "/faults", { operation: "createSalesOrder", status: 503, times: 2 })).status).toBe(201);
    const query = { ignore_auto_number_generation: "true" };
    for (let i = 0; i < 2; i++) {
      expect(await api("POST", "/salesorders", { token, query, body: salesOrder(customerId, itemId) })).toMatchObject({
        status: 503,
        body: { code: 1000, message: "Internal error" },
      });
    }
    expect(sandbox.state.org.salesOrders()).toEqual([]);
    expect((await api("POST", "/salesorders", { token, query, body: salesOrder(customerId, itemId) })).status).toBe(201);
  });

  it("holds an answer back after the effect when only delayMs is given", async () => {
    const token = await accessToken();
    const { customerId, itemId } = await customerAndItem(token);
    await control("POST", "/faults", { operation: "createSalesOrder", delayMs: 400 });
    const started = performance.now();
    const call = api("POST", "/salesorders", { token, query: { ignore_auto_number_generation: "true" }, body: salesOrder(customerId, itemId) });
    await new Promise((resolve) => setTimeout(resolve, 150));
    // The order exists while its creator is still waiting for the answer.
    expect(sandbox.state.org.salesOrders().map((o) => o.salesorder_number)).toEqual(["T2M-1001"]);
    expect((await call).status).toBe(201);
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
  });

  it("applies a fault only to requests containing its match, and a code 45 on a 400 with Retry-After", async () => {
    const token = await accessToken();
    const { customerId, itemId } = await customerAndItem(token);
    const query = { ignore_auto_number_generation: "true" };
    await control("POST", "/faults", { operation: "createSalesOrder", status: 400, code: 45, message: "Request Limit Exceeded", match: "T2M-LOAD-", retryAfterSeconds: 2 });
    expect((await api("POST", "/salesorders", { token, query, body: salesOrder(customerId, itemId, "T2M-1") })).status).toBe(201);
    const limited = await api("POST", "/salesorders", { token, query, body: salesOrder(customerId, itemId, "T2M-LOAD-1") });
    expect(limited).toMatchObject({ status: 400, body: { code: 45, message: "Request Limit Exceeded" } });
    expect(limited.headers.get("retry-after")).toBe("2");
    expect((await api("POST", "/salesorders", { token, query, body: salesOrder(customerId, itemId, "T2M-LOAD-1") })).status).toBe(201);
  });

  it("rejects a fault probability outside 0–1", async () => {
    expect((await control("POST", "/faults", { operation: "listItems", status: 503, probability: 2 })).status).toBe(400);
    expect((await control("POST", "/faults", { operation: "listItems", status: 503, probability: 0.2, times: -1 })).body.fault).toMatchObject({ probability: 0.2 });
  });

  it("fails the token endpoint the way Zoho's accounts server does", async () => {
    await control("POST", "/faults", { operation: "token", status: 200, message: "Access Denied" });
    expect(await requestToken()).toEqual({ status: 200, body: { error: "Access Denied" } });
    expect((await requestToken()).body).toHaveProperty("access_token");
  });

  it("rejects bad fault requests with a message saying what is wrong", async () => {
    expect(await control("POST", "/faults", { operation: "explode", status: 500 })).toEqual({
      status: 400,
      body: { error: expect.stringContaining("operation must be one of token, listItems") },
    });
    expect((await control("POST", "/faults", { operation: "listItems" })).body.error).toContain("give status");
    expect((await control("GET", "/nothing")).status).toBe(404);
    expect((await control("GET", "/reset")).status).toBe(405);
  });

  it("shows contacts, orders, tokens, faults and request counts, and clears faults and state", async () => {
    const token = await accessToken();
    const { customerId, itemId } = await customerAndItem(token);
    await api("POST", "/salesorders", { token, query: { ignore_auto_number_generation: "true" }, body: salesOrder(customerId, itemId) });
    await api("GET", "/items", { token: "1000.bad" });
    await control("POST", "/faults", { operation: "getSalesOrder", status: 500, times: -1 });

    const { body: state } = await control("GET", "/state");
    expect(state.contacts).toEqual([{ contact_id: customerId, contact_name: "Ada Obi", emails: ["ada@example.ng"] }]);
    expect(state.salesOrders).toEqual([expect.objectContaining({ salesorder_number: "T2M-1001", status: "draft", customer_id: customerId })]);
    expect(state.tokens).toEqual({ issued: 1, live: 1 });
    expect(state.faults).toEqual([expect.objectContaining({ operation: "getSalesOrder", status: 500, times: -1, hits: 0 })]);
    expect(state.requests.listItems).toEqual({ total: 2, byStatus: { "200": 1, "401": 1 } });
    expect(state.requests.createSalesOrder).toEqual({ total: 1, byStatus: { "201": 1 } });

    expect(await control("DELETE", "/faults")).toEqual({ status: 200, body: { cleared: 1 } });
    await control("POST", "/reset");
    const { body: after } = await control("GET", "/state");
    expect(after).toMatchObject({ contacts: [], salesOrders: [], tokens: { issued: 0, live: 0 }, faults: [] });
    expect(after.items).toBeGreaterThan(0);
  });
});

describe("rate and concurrency limits", () => {
  const tokenOf = async (running: RunningZohoSandbox) =>
    ((await (await fetch(`${running.url}/oauth/v2/token`, { method: "POST", body: new URLSearchParams(tokenForm) })).json()) as { access_token: string })
      .access_token;

  it("answers 429 with Zoho's envelope over the per-minute limit, with rate-limit headers on every answer and Retry-After on the 429", async () => {
    const limited = await startZohoSandbox({ rateLimitPerMinute: 2 });
    try {
      const token = await tokenOf(limited);
      const call = () =>
        fetch(`${limited.apiUrl}/items?organization_id=${limited.organizationId}`, {
          headers: { authorization: `Zoho-oauthtoken ${token}` },
        });
      const first = await call();
      expect(first.status).toBe(200);
      expect([first.headers.get("x-rate-limit-limit"), first.headers.get("x-rate-limit-remaining")]).toEqual(["2", "1"]);
      expect(first.headers.get("retry-after")).toBeNull();
      expect((await call()).headers.get("x-rate-limit-remaining")).toBe("0");
      const third = await call();
      expect({ status: third.status, body: await third.json() }).toEqual({ status: 429, body: { code: 45, message: "Request Limit Exceeded" } });
      expect(third.headers.get("x-rate-limit-remaining")).toBe("0");
      expect(Number(third.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(Number(third.headers.get("x-rate-limit-reset"))).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.close();
    }
  });

  it("answers 429 code 45 over the concurrency limit, and counts a call until its answer is sent", async () => {
    const limited = await startZohoSandbox({ maxConcurrent: 1 });
    try {
      const token = await tokenOf(limited);
      const call = () =>
        fetch(`${limited.apiUrl}/items?organization_id=${limited.organizationId}`, { headers: { authorization: `Zoho-oauthtoken ${token}` } });
      limited.state.faults.add({ operation: "listItems", delayMs: 300, times: 1 });
      const held = call();
      // Wait until the held call has been admitted.
      while (limited.state.concurrency.inFlight(limited.organizationId) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const refused = await call();
      expect({ status: refused.status, body: await refused.json(), retryAfter: refused.headers.get("retry-after") }).toEqual({
        status: 429,
        body: { code: 45, message: "Request Limit Exceeded" },
        retryAfter: "1",
      });
      expect((await held).status).toBe(200);
      expect((await call()).status).toBe(200);
      expect(limited.state.snapshot().limits).toEqual({ ratePerMinute: 0, maxConcurrent: 1, inFlight: 0, peakInFlight: 1 });
    } finally {
      await limited.close();
    }
  });
});

describe("state file", () => {
  it("keeps contacts, sales orders and the id sequence across restarts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zoho-sandbox-state-"));
    const stateFile = join(dir, "nested", "state.json");
    try {
      const first = await startZohoSandbox({ stateFile });
      const contact = first.state.org.createContact({ contact_name: "Ada" });
      const item = first.state.org.listItems({ sku: "ZOHO-CRM-STD" }, { page: 1, perPage: 1 }).page[0]!;
      const order = first.state.org.createSalesOrder({ customer_id: contact.contact_id, salesorder_number: "T2M-1", line_items: [{ item_id: item.item_id }] }, { ignoreAutoNumberGeneration: true });
      await first.close();
      expect(JSON.parse(await readFile(stateFile, "utf8"))).toMatchObject({ version: 1, org: { contacts: [{ contact_id: contact.contact_id }] } });

      const second = await startZohoSandbox({ stateFile });
      try {
        expect(second.state.org.getSalesOrder(order.salesorder_id).salesorder_number).toBe("T2M-1");
        expect(second.state.org.listItems({ sku: "ZOHO-CRM-STD" }, { page: 1, perPage: 1 }).page[0]!.item_id).toBe(item.item_id);
        const next = second.state.org.createContact({ contact_name: "Bola" });
        expect(BigInt(next.contact_id) > BigInt(order.salesorder_id)).toBe(true);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
