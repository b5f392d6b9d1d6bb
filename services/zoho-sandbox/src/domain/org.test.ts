import { describe, expect, it } from "vitest";
import { clockSeededId, SandboxOrg } from "./org.js";
import { ZohoError } from "./zoho-error.js";

const items = [
  { sku: "ZOHO-CRM-STD", name: "Zoho CRM Standard", description: "CRM", rate: 216000 },
  { sku: "ZOHO-MAIL-LITE", name: "Zoho Mail Lite", description: "Mail", rate: 14400 },
];
const allPages = { page: 1, perPage: 200 };

function newOrg() {
  const org = new SandboxOrg({ currencyCode: "NGN", items, now: () => Date.parse("2026-03-01T10:00:00Z") });
  const crm = org.listItems({ sku: "ZOHO-CRM-STD" }, allPages).page[0]!;
  const customer = org.createContact({
    contact_name: "Ada Obi",
    contact_type: "customer",
    contact_persons: [{ first_name: "Ada", last_name: "Obi", email: "ada@example.ng", phone: "08012345678", is_primary_contact: true }],
  });
  return { org, crm, customer };
}

function zohoErrorOf(run: () => unknown): ZohoError {
  try {
    run();
  } catch (err) {
    if (err instanceof ZohoError) return err;
    throw err;
  }
  throw new Error("expected a ZohoError");
}

describe("SandboxOrg items", () => {
  it("finds an item by exact SKU and by search text", () => {
    const { org } = newOrg();
    expect(org.listItems({ sku: "ZOHO-CRM-STD" }, allPages).page.map((i) => i.name)).toEqual(["Zoho CRM Standard"]);
    expect(org.listItems({ sku: "zoho-crm-std" }, allPages).page).toEqual([]);
    expect(org.listItems({ searchText: "mail" }, allPages).page.map((i) => i.sku)).toEqual(["ZOHO-MAIL-LITE"]);
  });

  it("pages, saying whether more follow", () => {
    const { org } = newOrg();
    expect(org.listItems({}, { page: 1, perPage: 1 }).page_context).toEqual({ page: 1, per_page: 1, has_more_page: true });
    expect(org.listItems({}, { page: 2, perPage: 1 }).page_context.has_more_page).toBe(false);
  });
});

describe("SandboxOrg contacts", () => {
  it("finds a contact by any person's email, ignoring case", () => {
    const { org, customer } = newOrg();
    const found = org.findContacts({ email: "ADA@example.ng" }, allPages).page;
    expect(found).toEqual([expect.objectContaining({ contact_id: customer.contact_id, email: "ada@example.ng", first_name: "Ada" })]);
    expect(org.findContacts({ email: "someone@example.ng" }, allPages).page).toEqual([]);
  });

  it("requires a name and makes the first person primary when none is marked", () => {
    const { org } = newOrg();
    expect(zohoErrorOf(() => org.createContact({ contact_persons: [] }))).toMatchObject({ httpStatus: 400, message: "contact_name is required" });
    const contact = org.createContact({ contact_name: "Bola", contact_persons: [{ email: "bola@example.ng" }] });
    expect(contact.contact_type).toBe("customer");
    expect(contact.contact_persons[0]?.is_primary_contact).toBe(true);
    expect(contact.primary_contact_id).toBe(contact.contact_persons[0]?.contact_person_id);
  });

  it("rejects a malformed email", () => {
    const { org } = newOrg();
    expect(zohoErrorOf(() => org.createContact({ contact_name: "X", contact_persons: [{ email: "not-an-email" }] })).message).toBe(
      "Invalid value passed for email",
    );
  });
});

describe("SandboxOrg sales orders", () => {
  const orderFor = (customerId: string, itemId: string, number = "T2M-1001") => ({
    customer_id: customerId,
    salesorder_number: number,
    date: "2026-03-01",
    reference_number: "T2M-1001",
    line_items: [{ item_id: itemId, rate: 216000.5, quantity: 2 }],
  });

  it("creates a draft numbered as asked, with totals from its lines", () => {
    const { org, crm, customer } = newOrg();
    const order = org.createSalesOrder(orderFor(customer.contact_id, crm.item_id), { ignoreAutoNumberGeneration: true });
    expect(order).toMatchObject({
      salesorder_number: "T2M-1001",
      status: "draft",
      customer_id: customer.contact_id,
      customer_name: "Ada Obi",
      currency_code: "NGN",
      sub_total: 432001,
      total: 432001,
    });
    expect(order.line_items[0]).toMatchObject({ item_id: crm.item_id, name: "Zoho CRM Standard", rate: 216000.5, quantity: 2, item_total: 432001 });
  });

  it("rejects a second order with the same number and keeps only the first", () => {
    const { org, crm, customer } = newOrg();
    org.createSalesOrder(orderFor(customer.contact_id, crm.item_id), { ignoreAutoNumberGeneration: true });
    const error = zohoErrorOf(() => org.createSalesOrder(orderFor(customer.contact_id, crm.item_id), { ignoreAutoNumberGeneration: true }));
    expect(error).toMatchObject({ httpStatus: 400, code: 1001, message: 'Sales Order "T2M-1001" already exists.' });
    expect(org.salesOrders()).toHaveLength(1);
  });

  it("requires the number only when auto numbering is off, and numbers the order itself otherwise", () => {
    const { org, crm, customer } = newOrg();
    const { salesorder_number: _, ...unnumbered } = orderFor(customer.contact_id, crm.item_id);
    expect(zohoErrorOf(() => org.createSalesOrder(unnumbered, { ignoreAutoNumberGeneration: true })).message).toBe("salesorder_number is required");
    expect(org.createSalesOrder(orderFor(customer.contact_id, crm.item_id), { ignoreAutoNumberGeneration: false }).salesorder_number).toBe("SO-00001");
    expect(org.createSalesOrder(unnumbered, { ignoreAutoNumberGeneration: false }).salesorder_number).toBe("SO-00002");
  });

  it("refuses unknown customers and items, empty lines and bad values", () => {
    const { org, crm, customer } = newOrg();
    const create = (body: unknown) => zohoErrorOf(() => org.createSalesOrder(body, { ignoreAutoNumberGeneration: true }));
    expect(create(orderFor("999", crm.item_id))).toMatchObject({ httpStatus: 400, code: 1002, message: "Customer does not exist." });
    expect(create(orderFor(customer.contact_id, "999"))).toMatchObject({ code: 1002, message: "Item does not exist." });
    expect(create({ ...orderFor(customer.contact_id, crm.item_id), line_items: [] }).message).toBe("Invalid value passed for line_items");
    expect(create({ ...orderFor(customer.contact_id, crm.item_id), date: "2026-02-30" }).message).toBe("Invalid value passed for date");
    expect(create({ ...orderFor(customer.contact_id, crm.item_id), line_items: [{ item_id: crm.item_id, rate: "216000" }] }).message).toBe(
      "Invalid value passed for rate",
    );
    expect(create("not an object").message).toBe("The request body must be a JSON object");
    expect(org.salesOrders()).toEqual([]);
  });

  it("confirms a draft once and refuses to confirm it again", () => {
    const { org, crm, customer } = newOrg();
    const order = org.createSalesOrder(orderFor(customer.contact_id, crm.item_id), { ignoreAutoNumberGeneration: true });
    expect(org.confirmSalesOrder(order.salesorder_id).status).toBe("confirmed");
    expect(zohoErrorOf(() => org.confirmSalesOrder(order.salesorder_id))).toMatchObject({ httpStatus: 400, code: 36015 });
    expect(zohoErrorOf(() => org.confirmSalesOrder("404"))).toMatchObject({ httpStatus: 404, code: 1002 });
    expect(org.getSalesOrder(order.salesorder_id).status).toBe("confirmed");
  });

  it("lists newest first and forgets orders and contacts on reset, but not items", () => {
    const { org, crm, customer } = newOrg();
    for (const n of ["A", "B", "C"]) org.createSalesOrder(orderFor(customer.contact_id, crm.item_id, n), { ignoreAutoNumberGeneration: true });
    expect(org.listSalesOrders({}, { page: 1, perPage: 2 }).page.map((o) => o.salesorder_number)).toEqual(["C", "B"]);
    expect(org.listSalesOrders({}, { page: 2, perPage: 2 }).page.map((o) => o.salesorder_number)).toEqual(["A"]);
    org.reset();
    expect(org.listSalesOrders({}, allPages).page).toEqual([]);
    expect(org.contacts()).toEqual([]);
    expect(org.itemCount).toBe(2);
  });

  it("filters the list by exact salesorder_number and reference_number", () => {
    const { org, crm, customer } = newOrg();
    for (const n of ["T2M-1", "T2M-10", "T2M-100"]) {
      org.createSalesOrder({ ...orderFor(customer.contact_id, crm.item_id, n), reference_number: `ref-${n}` }, { ignoreAutoNumberGeneration: true });
    }
    expect(org.listSalesOrders({ salesorderNumber: "T2M-10" }, allPages).page.map((o) => o.salesorder_number)).toEqual(["T2M-10"]);
    expect(org.listSalesOrders({ referenceNumber: "ref-T2M-1" }, allPages).page.map((o) => o.salesorder_number)).toEqual(["T2M-1"]);
    expect(org.listSalesOrders({ salesorderNumber: "T2M" }, allPages).page).toEqual([]);
  });

  it("confirms drafts in bulk, refusing the ids it cannot confirm one by one", () => {
    const { org, crm, customer } = newOrg();
    const [a, b, c] = ["A", "B", "C"].map((n) => org.createSalesOrder(orderFor(customer.contact_id, crm.item_id, n), { ignoreAutoNumberGeneration: true }));
    org.confirmSalesOrder(b!.salesorder_id);
    const outcome = org.bulkConfirmSalesOrders([a!.salesorder_id, b!.salesorder_id, c!.salesorder_id, "404"]);
    expect(outcome.changed).toEqual([a!.salesorder_id, c!.salesorder_id]);
    expect(outcome.refused).toEqual([
      { id: b!.salesorder_id, code: 36015, message: "Sales order is already confirmed." },
      { id: "404", code: 1002, message: "Sales Order does not exist." },
    ]);
    expect(org.salesOrders().map((o) => o.status)).toEqual(["confirmed", "confirmed", "confirmed"]);
    expect(zohoErrorOf(() => org.bulkConfirmSalesOrders([]))).toMatchObject({ httpStatus: 400, code: 2 });
    expect(zohoErrorOf(() => org.bulkConfirmSalesOrders(Array.from({ length: 26 }, (_, i) => String(i))))).toMatchObject({ httpStatus: 400 });
  });

  it("voids a draft or confirmed order once", () => {
    const { org, crm, customer } = newOrg();
    const order = org.createSalesOrder(orderFor(customer.contact_id, crm.item_id), { ignoreAutoNumberGeneration: true });
    org.confirmSalesOrder(order.salesorder_id);
    expect(org.voidSalesOrder(order.salesorder_id).status).toBe("void");
    expect(zohoErrorOf(() => org.voidSalesOrder(order.salesorder_id))).toMatchObject({ httpStatus: 400, code: 36015, message: "Sales order is already void." });
    expect(zohoErrorOf(() => org.confirmSalesOrder(order.salesorder_id))).toMatchObject({ code: 36015 });
  });

  it("hands out copies, so a caller cannot change its records", () => {
    const { org, crm, customer } = newOrg();
    const order = org.createSalesOrder(orderFor(customer.contact_id, crm.item_id), { ignoreAutoNumberGeneration: true });
    order.status = "confirmed";
    expect(org.getSalesOrder(order.salesorder_id).status).toBe("draft");
  });
});

describe("SandboxOrg ids and state", () => {
  const now = () => Date.parse("2026-03-01T10:00:00Z");

  it("starts a fresh id sequence at the clock, so a restart without state never repeats an id", () => {
    const before = new SandboxOrg({ currencyCode: "NGN", items, now, idSeed: clockSeededId(Date.parse("2026-03-01T10:00:00Z")) });
    const contact = before.createContact({ contact_name: "Ada" });
    const after = new SandboxOrg({ currencyCode: "NGN", items, now, idSeed: clockSeededId(Date.parse("2026-03-01T10:00:00.001Z")) });
    expect(Number(after.createContact({ contact_name: "Ada" }).contact_id)).toBeGreaterThan(Number(contact.contact_id));
    expect(Number.isSafeInteger(clockSeededId(Date.parse("2200-01-01T00:00:00Z")))).toBe(true);
    expect(String(clockSeededId(Date.parse("2026-03-01T10:00:00Z")))).toHaveLength(16);
  });

  it("continues from a snapshot: same records, same item ids, ids that keep growing, and tells about each change", () => {
    let changes = 0;
    const first = new SandboxOrg({ currencyCode: "NGN", items, now, idSeed: 1_000, onChange: () => changes++ });
    const crm = first.listItems({ sku: "ZOHO-CRM-STD" }, allPages).page[0]!;
    const contact = first.createContact({ contact_name: "Ada" });
    const order = first.createSalesOrder({ customer_id: contact.contact_id, line_items: [{ item_id: crm.item_id }] }, { ignoreAutoNumberGeneration: false });
    first.confirmSalesOrder(order.salesorder_id);
    expect(changes).toBe(3);

    const saved = JSON.parse(JSON.stringify(first.snapshot()));
    const second = new SandboxOrg({ currencyCode: "NGN", items, now, restore: saved, idSeed: 0 });
    expect(second.listItems({ sku: "ZOHO-CRM-STD" }, allPages).page[0]!.item_id).toBe(crm.item_id);
    expect(second.contacts()).toEqual(first.contacts());
    expect(second.getSalesOrder(order.salesorder_id).status).toBe("confirmed");
    const next = second.createContact({ contact_name: "Bola" });
    expect(Number(next.contact_id)).toBe(saved.lastId + 1);
    expect(second.createSalesOrder({ customer_id: next.contact_id, line_items: [{ item_id: crm.item_id }] }, { ignoreAutoNumberGeneration: false }).salesorder_number).toBe("SO-00002");
  });
});
