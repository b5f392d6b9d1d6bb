// The sales-order workflow with the real Zoho client against the Zoho
// sandbox (in this process) and in-memory stores.
import { startZohoSandbox, type FaultSpec, type RunningZohoSandbox } from "@t2m/zoho-sandbox";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ZohoInventoryClient, type ZohoClientOptions } from "../adapters/zoho/client.js";
import { ZohoApiError } from "../adapters/zoho/errors.js";
import type { CallContext } from "./call-budget.js";
import type { SalesOrderRequest } from "./provisioning.js";
import { IntegrityError, ReconcilePendingError, SalesOrders } from "./sales-orders.js";
import { MemoryContactStore, MemorySalesOrderStore } from "./stores.fixtures.js";

let sandbox: RunningZohoSandbox;
const now = Date.parse("2026-03-01T10:00:00Z");
const logger = pino({ level: "silent" });

beforeAll(async () => {
  sandbox = await startZohoSandbox({ now: () => now });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.state.reset();
});

const ctx = (): CallContext => ({ priority: Date.now(), deadline: Date.now() + 20_000 });

function newClient(overrides: Partial<ZohoClientOptions> = {}) {
  return new ZohoInventoryClient({
    accountsUrl: sandbox.url,
    apiUrl: sandbox.apiUrl,
    organizationId: sandbox.organizationId,
    ...sandbox.credentials,
    logger,
    now: () => now,
    ...overrides,
  });
}

/** A replica: its own client (caches) over shared stores, as after a restart when given the same stores. */
function replica(stores = { salesOrders: new MemorySalesOrderStore(), contacts: new MemoryContactStore() }, client = newClient()) {
  const batches: number[] = [];
  const flagged: string[] = [];
  const salesOrders = new SalesOrders({
    store: stores.salesOrders,
    contacts: stores.contacts,
    zoho: client,
    logger,
    now: () => new Date(now),
    onConfirmBatch: (n) => batches.push(n),
    onFlagged: (orderId) => flagged.push(orderId),
  });
  return { salesOrders, stores, batches, flagged };
}

const order = (orderId: string, overrides: { email?: string; customerId?: string; sku?: string } = {}): SalesOrderRequest => ({
  orderId,
  customer: { customerId: overrides.customerId ?? "T2M_USER_9001", name: "Ada Obi", email: overrides.email ?? "ada@example.ng", phone: "08012345678" },
  line: { sku: overrides.sku ?? "ZOHO-CRM-STD", name: "Zoho CRM Standard", description: "12 months, 1 user", rate: 216000, currencyCode: "NGN", quantity: 1 },
});

function injectFault(fault: Omit<FaultSpec, "times"> & { times?: number }) {
  sandbox.state.faults.add({ times: 1, ...fault });
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (err: unknown) => err,
  );
}

const requests = () => sandbox.state.snapshot().requests;
const zohoOrders = () => sandbox.state.org.salesOrders();

describe("creating a sales order", () => {
  it("makes the contact and a confirmed sales order numbered with the order id, and stores it", async () => {
    const { salesOrders, stores } = replica();
    const { record, replayed } = await salesOrders.create(order("T2M123456"), ctx());
    const [salesOrder] = zohoOrders();
    const [contact] = sandbox.state.org.contacts();
    expect(replayed).toBe(false);
    expect(record).toMatchObject({ orderId: "T2M123456", zohoSalesOrderId: salesOrder!.salesorder_id, zohoSalesOrderNumber: "T2M123456", zohoCustomerId: contact!.contact_id, status: "confirmed" });
    expect(salesOrder).toMatchObject({ status: "confirmed", date: "2026-03-01", reference_number: "T2M123456", total: 216000 });
    expect(contact).toMatchObject({ contact_name: "Ada Obi", notes: "T2Mobile customer T2M_USER_9001" });
    expect(await stores.salesOrders.find("T2M123456")).toEqual(record);
  });

  it("writes a new order's record once, confirmed: no draft on the way when the confirmation succeeds", async () => {
    const writes: string[] = [];
    const salesOrders = new (class extends MemorySalesOrderStore {
      override async insertOrGet(record: Parameters<MemorySalesOrderStore["insertOrGet"]>[0]) {
        writes.push(`insert:${record.status}`);
        return super.insertOrGet(record);
      }
      override async markConfirmed(orderId: string, at: Date) {
        writes.push("markConfirmed");
        return super.markConfirmed(orderId, at);
      }
    })();
    await replica({ salesOrders, contacts: new MemoryContactStore() }).salesOrders.create(order("T2M-1"), ctx());
    expect(writes).toEqual(["insert:confirmed"]);
  });

  it("costs a returning customer no lookup: the contact id is remembered, in memory and in the store", async () => {
    const stores = { salesOrders: new MemorySalesOrderStore(), contacts: new MemoryContactStore() };
    await replica(stores).salesOrders.create(order("T2M-1"), ctx());
    await replica(stores).salesOrders.create(order("T2M-2"), ctx());
    const same = replica(stores);
    await same.salesOrders.create(order("T2M-3"), ctx());
    await same.salesOrders.create(order("T2M-4"), ctx());
    expect(requests().findContacts.total).toBe(1);
    expect(requests().createContact.total).toBe(1);
    // Per order: the create and the confirm; the item was looked up once per replica.
    expect(requests().createSalesOrder.total).toBe(4);
    expect(requests().confirmSalesOrder.total).toBe(4);
  });

  it("answers a repeat from the store without calling Zoho", async () => {
    const { salesOrders } = replica();
    const first = await salesOrders.create(order("T2M-1"), ctx());
    const before = JSON.stringify(requests());
    const again = await salesOrders.create(order("T2M-1"), ctx());
    expect(again).toEqual({ record: first.record, replayed: true });
    expect(JSON.stringify(requests())).toBe(before);
  });

  it("resumes with the confirmation when an attempt stopped after storing the draft", async () => {
    const stores = { salesOrders: new MemorySalesOrderStore(), contacts: new MemoryContactStore() };
    injectFault({ operation: "confirmSalesOrder", status: 503 });
    expect(await rejectionOf(replica(stores).salesOrders.create(order("T2M-1"), ctx()))).toMatchObject({ operation: "confirmSalesOrder", retryable: true });
    expect((await stores.salesOrders.find("T2M-1"))?.status).toBe("created");

    const { record } = await replica(stores).salesOrders.create(order("T2M-1"), ctx());
    expect(record.status).toBe("confirmed");
    expect(requests().createSalesOrder.total).toBe(1);
    expect(zohoOrders().map((o) => o.status)).toEqual(["confirmed"]);
  });

  it("takes over the order Zoho made when an attempt died before storing it, found by number", async () => {
    // Zoho makes the order but the answer never arrives (timeout); nothing is stored.
    injectFault({ operation: "createSalesOrder", delayMs: 1_000 });
    const impatient = replica(undefined, newClient({ requestTimeoutMs: 200 }));
    expect(await rejectionOf(impatient.salesOrders.create(order("T2M-1"), ctx()))).toMatchObject({ kind: "timeout", operation: "createSalesOrder" });
    expect(zohoOrders().map((o) => o.status)).toEqual(["draft"]);

    const { record } = await replica({ salesOrders: new MemorySalesOrderStore(), contacts: impatient.stores.contacts }).salesOrders.create(order("T2M-1"), ctx());
    expect(zohoOrders()).toEqual([expect.objectContaining({ salesorder_id: record.zohoSalesOrderId, status: "confirmed" })]);
    expect(requests().createSalesOrder.byStatus).toEqual({ "201": 1, "400": 1 });
    // One filtered lookup, no paging.
    expect(requests().listSalesOrders.total).toBe(1);
  });

  it("answers ReconcilePendingError when Zoho says the number is taken but the lookup cannot find it", async () => {
    const { salesOrders } = replica();
    injectFault({ operation: "createSalesOrder", status: 400, code: 1001, message: 'Sales Order "T2M-1" already exists.' });
    const error = await rejectionOf(salesOrders.create(order("T2M-1"), ctx()));
    expect(error).toBeInstanceOf(ReconcilePendingError);
    expect((error as Error).message).toContain("T2M-1");
  });

  it("answers ReconcilePendingError when the lookup after a refusal fails", async () => {
    const { salesOrders } = replica();
    injectFault({ operation: "createSalesOrder", status: 400, code: 4, message: "Something odd" });
    injectFault({ operation: "listSalesOrders", status: 503 });
    expect(await rejectionOf(salesOrders.create(order("T2M-1"), ctx()))).toBeInstanceOf(ReconcilePendingError);
  });

  it("lets a plain refusal stand when Zoho holds nothing under the number", async () => {
    const { salesOrders } = replica();
    injectFault({ operation: "createSalesOrder", status: 400, code: 1001, message: "Invalid value passed for customer_id" });
    const error = await rejectionOf(salesOrders.create(order("T2M-1"), ctx()));
    expect(error).toMatchObject({ kind: "http", operation: "createSalesOrder", httpStatus: 400, retryable: false });
    expect(requests().listSalesOrders.total).toBe(1);
  });

  it("forgets a remembered contact Zoho no longer has and resolves it again, once", async () => {
    const stores = { salesOrders: new MemorySalesOrderStore(), contacts: new MemoryContactStore() };
    await stores.contacts.insertOrGet({ customerKey: "T2M_USER_9001", zohoContactId: "999", email: "ada@example.ng", createdAt: new Date(now) });
    const { record } = await replica(stores).salesOrders.create(order("T2M-1"), ctx());
    const [contact] = sandbox.state.org.contacts();
    expect(record.zohoCustomerId).toBe(contact!.contact_id);
    expect((await stores.contacts.find("T2M_USER_9001"))?.zohoContactId).toBe(contact!.contact_id);
    expect(requests().createSalesOrder.byStatus).toEqual({ "201": 1, "400": 1 });
  });

  it("refuses to take over an order with our number that belongs to another customer", async () => {
    const stores = { salesOrders: new MemorySalesOrderStore(), contacts: new MemoryContactStore() };
    await replica(stores).salesOrders.create(order("T2M-1", { email: "someone.else@example.ng", customerId: "OTHER" }), ctx());
    const error = await rejectionOf(replica({ ...stores, salesOrders: new MemorySalesOrderStore() }).salesOrders.create(order("T2M-1"), ctx()));
    expect(error).toMatchObject({ kind: "conflict", retryable: false });
    expect((error as Error).message).toContain("exists for another customer");
  });

  it("fails without retry when no Zoho item has the SKU", async () => {
    const error = await rejectionOf(replica().salesOrders.create(order("T2M-1", { sku: "NO-SUCH-SKU" }), ctx()));
    expect(error).toMatchObject({ kind: "missing-item", retryable: false, message: "Zoho has no item with SKU NO-SUCH-SKU (order T2M-1)" });
    expect(zohoOrders()).toEqual([]);
  });

  it("reports an integrity error when Zoho hands out a sales order another order already holds", async () => {
    const stores = { salesOrders: new MemorySalesOrderStore(), contacts: new MemoryContactStore() };
    const { record } = await replica(stores).salesOrders.create(order("T2M-1"), ctx());
    // A Zoho that reissues an id (a sandbox restarted without its state, once upon a time).
    const reissuing: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).includes("/salesorders?") || init?.method !== "POST" || response.status !== 201) return response;
      const body = (await response.json()) as { salesorder: Record<string, unknown> };
      body.salesorder.salesorder_id = record.zohoSalesOrderId;
      return new Response(JSON.stringify(body), { status: 201, headers: { "content-type": "application/json" } });
    };
    const error = await rejectionOf(replica(stores, newClient({ fetch: reissuing })).salesOrders.create(order("T2M-2"), ctx()));
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error).toMatchObject({ orderId: "T2M-2", zohoSalesOrderId: record.zohoSalesOrderId, otherOrderId: "T2M-1" });
  });

  it("batches the confirmations of concurrent orders, and runs concurrent repeats of one order once", async () => {
    const { salesOrders, batches } = replica();
    // The first confirmation is held, so the others gather behind it.
    injectFault({ operation: "confirmSalesOrder", delayMs: 300 });
    const first = salesOrders.create(order("T2M-0"), ctx());
    while (requests().confirmSalesOrder.total === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const others = ["T2M-1", "T2M-2", "T2M-3"].map((id) => salesOrders.create(order(id), ctx()));
    const repeat = salesOrders.create(order("T2M-3"), ctx());
    await Promise.all([first, ...others, repeat]);
    expect(zohoOrders().map((o) => o.status)).toEqual(["confirmed", "confirmed", "confirmed", "confirmed"]);
    expect(requests().bulkConfirmSalesOrders.total).toBe(1);
    expect(batches).toEqual([1, 3]);
    expect(requests().createSalesOrder.total).toBe(4);
  });

  it("confirms one by one when Zoho refuses the bulk confirmation", async () => {
    const { salesOrders } = replica();
    injectFault({ operation: "confirmSalesOrder", delayMs: 300 });
    injectFault({ operation: "bulkConfirmSalesOrders", status: 400, code: 2, message: "Invalid value passed for salesorder_ids" });
    const first = salesOrders.create(order("T2M-0"), ctx());
    while (requests().confirmSalesOrder.total === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await Promise.all([first, ...["T2M-1", "T2M-2"].map((id) => salesOrders.create(order(id), ctx()))]);
    expect(zohoOrders().map((o) => o.status)).toEqual(["confirmed", "confirmed", "confirmed"]);
    expect(requests().bulkConfirmSalesOrders.byStatus).toEqual({ "400": 1 });
    expect(requests().confirmSalesOrder.total).toBe(3);
  });

  it("tolerates a refused confirmation of an order confirmed meanwhile, and passes on one still a draft", async () => {
    const racing: typeof fetch = async (input, init) => {
      const confirming = /\/salesorders\/(\d+)\/status\/confirmed$/.exec(new URL(String(input)).pathname);
      if (confirming) sandbox.state.org.confirmSalesOrder(confirming[1]!);
      return fetch(input, init);
    };
    expect((await replica(undefined, newClient({ fetch: racing })).salesOrders.create(order("T2M-1"), ctx())).record.status).toBe("confirmed");
    expect(requests().getSalesOrder.byStatus).toEqual({ "200": 1 });

    injectFault({ operation: "confirmSalesOrder", status: 400, code: 2, message: "Invalid value passed" });
    const error = await rejectionOf(replica().salesOrders.create(order("T2M-2"), ctx()));
    expect(error).toBeInstanceOf(ZohoApiError);
    expect(error).toMatchObject({ operation: "confirmSalesOrder", httpStatus: 400 });
  });
});

describe("voiding a sales order", () => {
  it("voids it in Zoho and records that with the sales order; asking again calls nothing", async () => {
    const { salesOrders, stores } = replica();
    const { record } = await salesOrders.create(order("T2M-1"), ctx());
    expect(await salesOrders.void("T2M-1", "LICENCE_FAILED", ctx())).toEqual({ disposition: "VOIDED", zohoSalesOrderId: record.zohoSalesOrderId });
    expect(zohoOrders()[0]?.status).toBe("void");
    expect((await stores.salesOrders.find("T2M-1"))?.disposition).toMatchObject({ kind: "VOIDED", reason: "LICENCE_FAILED" });
    const before = JSON.stringify(requests());
    expect((await salesOrders.void("T2M-1", "LICENCE_FAILED", ctx())).disposition).toBe("VOIDED");
    expect(JSON.stringify(requests())).toBe(before);
  });

  it("answers NONE when no sales order exists for the order, here or in Zoho", async () => {
    expect(await replica().salesOrders.void("T2M-NONE", "INVALID_ORDER", ctx())).toEqual({ disposition: "NONE", zohoSalesOrderId: "" });
  });

  it("finds by number and voids an order Zoho made for an attempt that never stored it", async () => {
    injectFault({ operation: "createSalesOrder", delayMs: 1_000 });
    await rejectionOf(replica(undefined, newClient({ requestTimeoutMs: 200 })).salesOrders.create(order("T2M-1"), ctx()));
    const fresh = replica();
    const outcome = await fresh.salesOrders.void("T2M-1", "GAVE_UP", ctx());
    expect(outcome).toEqual({ disposition: "VOIDED", zohoSalesOrderId: zohoOrders()[0]!.salesorder_id });
    expect(zohoOrders()[0]?.status).toBe("void");
    expect(await fresh.stores.salesOrders.find("T2M-1")).toMatchObject({ status: "created", disposition: { kind: "VOIDED", reason: "GAVE_UP" } });
  });

  it("counts it voided when an earlier attempt voided it without recording that", async () => {
    const { salesOrders } = replica();
    const { record } = await salesOrders.create(order("T2M-1"), ctx());
    sandbox.state.org.voidSalesOrder(record.zohoSalesOrderId);
    expect((await salesOrders.void("T2M-1", "LICENCE_FAILED", ctx())).disposition).toBe("VOIDED");
  });

  it("flags it for a person when Zoho refuses to void it, and says so again when asked again", async () => {
    const { salesOrders, stores, flagged } = replica();
    await salesOrders.create(order("T2M-1"), ctx());
    injectFault({ operation: "voidSalesOrder", status: 400, code: 36014, message: "Sales order cannot be voided once invoiced" });
    expect((await salesOrders.void("T2M-1", "LICENCE_FAILED", ctx())).disposition).toBe("FLAGGED");
    expect(flagged).toEqual(["T2M-1"]);
    expect((await stores.salesOrders.find("T2M-1"))?.disposition).toMatchObject({ kind: "FLAGGED", detail: expect.stringContaining("cannot be voided") });
    expect((await salesOrders.void("T2M-1", "LICENCE_FAILED", ctx())).disposition).toBe("FLAGGED");
    expect(zohoOrders()[0]?.status).toBe("confirmed");
  });

  it("passes a transient failure on, recording nothing", async () => {
    const { salesOrders, stores } = replica();
    await salesOrders.create(order("T2M-1"), ctx());
    injectFault({ operation: "voidSalesOrder", status: 503 });
    expect(await rejectionOf(salesOrders.void("T2M-1", "LICENCE_FAILED", ctx()))).toMatchObject({ retryable: true });
    expect((await stores.salesOrders.find("T2M-1"))?.disposition).toBeUndefined();
  });
});
