import type { SeedItem } from "./catalogue.js";
import { paginate, type PageContext, type Paging } from "./paging.js";
import { invalidValue, ZohoCode, ZohoError } from "./zoho-error.js";

/** Milliseconds since the epoch; injected so tests control time. */
export type Clock = () => number;

// Records are kept in Zoho's own wire shape (snake_case), since serving that
// shape is the sandbox's whole job.

export interface Item {
  item_id: string;
  name: string;
  sku: string;
  description: string;
  rate: number;
  status: "active";
  item_type: "sales";
  product_type: "service";
  unit: string;
  created_time: string;
  last_modified_time: string;
}

export interface ContactPerson {
  contact_person_id: string;
  salutation: string;
  first_name: string;
  last_name: string;
  email: string;
  phone: string;
  mobile: string;
  is_primary_contact: boolean;
}

export interface Contact {
  contact_id: string;
  contact_name: string;
  company_name: string;
  contact_type: "customer" | "vendor";
  status: "active";
  primary_contact_id: string;
  currency_code: string;
  notes: string;
  contact_persons: ContactPerson[];
  created_time: string;
  last_modified_time: string;
}

export interface LineItem {
  line_item_id: string;
  item_id: string;
  name: string;
  description: string;
  item_order: number;
  rate: number;
  quantity: number;
  unit: string;
  item_total: number;
}

/** [U] Only "draft", "confirmed" and "void" are modelled; Zoho's full list is undocumented. */
export type SalesOrderStatus = "draft" | "confirmed" | "void";

export interface SalesOrder {
  salesorder_id: string;
  salesorder_number: string;
  date: string;
  status: SalesOrderStatus;
  reference_number: string;
  customer_id: string;
  customer_name: string;
  currency_code: string;
  line_items: LineItem[];
  sub_total: number;
  tax_total: number;
  total: number;
  price_precision: number;
  notes: string;
  created_time: string;
  last_modified_time: string;
}

export interface ListPage<T> {
  readonly page: T[];
  readonly page_context: PageContext;
}

/** What a bulk status change did to each id: changed, or refused with Zoho's code and message. */
export interface BulkOutcome {
  readonly changed: string[];
  readonly refused: { readonly id: string; readonly code: number; readonly message: string }[];
}

/** [U] Zoho documents no cap on salesorder_ids; the sandbox takes at most this many. */
export const MAX_BULK_IDS = 25;

/**
 * Everything an organisation holds besides its seeded items, as kept in the
 * sandbox's state file so that ids never repeat across restarts.
 */
export interface OrgSnapshot {
  readonly lastId: number;
  readonly lastAutoNumber: number;
  /** SKU → item id, so items keep their ids when the catalogue is seeded again. */
  readonly itemIds: Record<string, string>;
  readonly contacts: Contact[];
  readonly salesOrders: SalesOrder[];
}

/**
 * Zoho ids are long numeric strings from one org-wide sequence. A fresh
 * organisation starts the sequence at the clock (milliseconds × 1000, 16
 * digits like Zoho's and below 2^53 until the year 2255), so a sandbox
 * restarted without its state file never hands out an id it gave before,
 * unless it made more than a thousand records per millisecond.
 */
export function clockSeededId(epochMs: number): number {
  return Math.floor(epochMs) * 1000;
}

/** One Zoho Inventory organisation: its items, contacts and sales orders. */
export class SandboxOrg {
  readonly currencyCode: string;
  readonly #now: Clock;
  readonly #items: Item[];
  readonly #contacts = new Map<string, Contact>();
  readonly #salesOrders = new Map<string, SalesOrder>();
  // Ids keep growing across resets and restarts, so a stale id never points at a new record.
  #lastId: number;
  #lastAutoNumber = 0;
  readonly #onChange: () => void;

  /**
   * `restore` brings back a saved organisation (its id sequence, contacts,
   * orders and item ids); `idSeed` is where a fresh id sequence starts
   * (default: from the real clock, see clockSeededId). `onChange` is told
   * after every change, e.g. to save the state file.
   */
  constructor(options: {
    currencyCode: string;
    items: readonly SeedItem[];
    now: Clock;
    restore?: OrgSnapshot;
    idSeed?: number;
    onChange?: () => void;
  }) {
    this.currencyCode = options.currencyCode;
    this.#now = options.now;
    this.#onChange = options.onChange ?? (() => undefined);
    const restore = options.restore;
    // Never below what was handed out before, nor below the clock.
    this.#lastId = Math.max(restore?.lastId ?? 0, options.idSeed ?? clockSeededId(Date.now()));
    this.#lastAutoNumber = restore?.lastAutoNumber ?? 0;
    for (const contact of restore?.contacts ?? []) this.#contacts.set(contact.contact_id, structuredClone(contact));
    for (const order of restore?.salesOrders ?? []) this.#salesOrders.set(order.salesorder_id, structuredClone(order));
    const created = this.#timestamp();
    this.#items = options.items.map((seed) => ({
      item_id: restore?.itemIds[seed.sku] ?? this.#newId(),
      name: seed.name,
      sku: seed.sku,
      description: seed.description,
      rate: seed.rate,
      status: "active",
      item_type: "sales",
      product_type: "service",
      unit: "qty",
      created_time: created,
      last_modified_time: created,
    }));
  }

  /** Forgets contacts and sales orders; the seeded items and the id sequence stay. */
  reset(): void {
    this.#contacts.clear();
    this.#salesOrders.clear();
    this.#lastAutoNumber = 0;
    this.#onChange();
  }

  /** What the state file keeps. */
  snapshot(): OrgSnapshot {
    return {
      lastId: this.#lastId,
      lastAutoNumber: this.#lastAutoNumber,
      itemIds: Object.fromEntries(this.#items.map((item) => [item.sku, item.item_id])),
      contacts: this.contacts(),
      salesOrders: this.salesOrders(),
    };
  }

  get itemCount(): number {
    return this.#items.length;
  }

  contacts(): Contact[] {
    return [...this.#contacts.values()].map((c) => structuredClone(c));
  }

  salesOrders(): SalesOrder[] {
    return [...this.#salesOrders.values()].map((o) => structuredClone(o));
  }

  /** `sku` matches exactly; `search_text` is a case-insensitive substring of name, SKU or description. [U] sort: by name. */
  listItems(filter: { sku?: string; searchText?: string }, paging: Paging): ListPage<Item> {
    const text = filter.searchText?.toLowerCase();
    const matches = this.#items
      .filter((item) => filter.sku === undefined || item.sku === filter.sku)
      .filter((item) => text === undefined || [item.name, item.sku, item.description].some((f) => f.toLowerCase().includes(text)))
      .sort((a, b) => a.name.localeCompare(b.name));
    return clonePage(paginate(matches, paging));
  }

  /**
   * `email` matches any contact person's email, ignoring case ([U]: Zoho's
   * case handling is undocumented; mailbox names are case-insensitive in practice).
   */
  findContacts(filter: { email?: string; contactName?: string }, paging: Paging): ListPage<ReturnType<typeof contactSummary>> {
    const email = filter.email?.toLowerCase();
    const matches = [...this.#contacts.values()]
      .filter((c) => email === undefined || c.contact_persons.some((p) => p.email.toLowerCase() === email))
      .filter((c) => filter.contactName === undefined || c.contact_name === filter.contactName)
      .sort((a, b) => a.contact_name.localeCompare(b.contact_name));
    const { page, page_context } = paginate(matches, paging);
    return { page: page.map(contactSummary), page_context };
  }

  /**
   * [U] Zoho Books is reported to reject a second contact with the same
   * display name; Inventory documents no such rule, so the sandbox allows it.
   */
  createContact(body: unknown): Contact {
    const input = jsonObject(body);
    const contactName = requiredString(input, "contact_name", 200);
    const contactType = optionalString(input, "contact_type") ?? "customer";
    if (contactType !== "customer" && contactType !== "vendor") throw invalidValue("Invalid value passed for contact_type");
    const persons = input.contact_persons === undefined ? [] : input.contact_persons;
    if (!Array.isArray(persons)) throw invalidValue("Invalid value passed for contact_persons");
    const contactPersons: ContactPerson[] = persons.map((raw) => {
      const person = jsonObject(raw, "contact_persons");
      const email = optionalString(person, "email") ?? "";
      if (email !== "" && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw invalidValue("Invalid value passed for email");
      const primary = person.is_primary_contact;
      if (primary !== undefined && typeof primary !== "boolean") throw invalidValue("Invalid value passed for is_primary_contact");
      return {
        contact_person_id: this.#newId(),
        salutation: optionalString(person, "salutation") ?? "",
        first_name: optionalString(person, "first_name") ?? "",
        last_name: optionalString(person, "last_name") ?? "",
        email,
        phone: optionalString(person, "phone") ?? "",
        mobile: optionalString(person, "mobile") ?? "",
        is_primary_contact: primary === true,
      };
    });
    if (contactPersons.filter((p) => p.is_primary_contact).length > 1) {
      throw invalidValue("Only one contact person can be the primary contact");
    }
    // Zoho makes the first person primary when none is marked.
    if (contactPersons.length > 0 && !contactPersons.some((p) => p.is_primary_contact)) contactPersons[0]!.is_primary_contact = true;
    const created = this.#timestamp();
    const contact: Contact = {
      contact_id: this.#newId(),
      contact_name: contactName,
      company_name: optionalString(input, "company_name") ?? "",
      contact_type: contactType,
      status: "active",
      primary_contact_id: contactPersons.find((p) => p.is_primary_contact)?.contact_person_id ?? "",
      currency_code: this.currencyCode,
      notes: optionalString(input, "notes") ?? "",
      contact_persons: contactPersons,
      created_time: created,
      last_modified_time: created,
    };
    this.#contacts.set(contact.contact_id, contact);
    this.#onChange();
    return structuredClone(contact);
  }

  /**
   * With `ignoreAutoNumberGeneration` the caller's salesorder_number is
   * required and must be unused. Without it the sandbox numbers the order
   * itself and ignores any number given ([U]: what Zoho does then is undocumented).
   */
  createSalesOrder(body: unknown, options: { ignoreAutoNumberGeneration: boolean }): SalesOrder {
    const input = jsonObject(body);
    const customerId = requiredId(input, "customer_id");
    const customer = this.#contacts.get(customerId);
    if (!customer) throw new ZohoError(400, ZohoCode.doesNotExist, "Customer does not exist.");
    if (!Array.isArray(input.line_items) || input.line_items.length === 0) throw invalidValue("Invalid value passed for line_items");
    const lines = input.line_items.map((raw, index) => this.#lineItem(jsonObject(raw, "line_items"), index));

    let number: string;
    if (options.ignoreAutoNumberGeneration) {
      number = requiredString(input, "salesorder_number", 100);
      if (this.#findByNumber(number)) {
        // [U] The real code for a duplicate salesorder_number is undocumented; see ZohoCode.alreadyExists.
        throw new ZohoError(400, ZohoCode.alreadyExists, `Sales Order "${number}" already exists.`);
      }
    } else {
      number = this.#nextAutoNumber();
    }

    const date = optionalString(input, "date") ?? this.#today();
    if (!isCalendarDate(date)) throw invalidValue("Invalid value passed for date");
    const subTotal = round2(lines.reduce((sum, line) => sum + line.item_total, 0));
    const created = this.#timestamp();
    const order: SalesOrder = {
      salesorder_id: this.#newId(),
      salesorder_number: number,
      date,
      status: "draft",
      reference_number: optionalString(input, "reference_number") ?? "",
      customer_id: customer.contact_id,
      customer_name: customer.contact_name,
      currency_code: this.currencyCode,
      line_items: lines,
      sub_total: subTotal,
      tax_total: 0,
      total: subTotal,
      price_precision: 2,
      notes: optionalString(input, "notes") ?? "",
      created_time: created,
      last_modified_time: created,
    };
    this.#salesOrders.set(order.salesorder_id, order);
    this.#onChange();
    return structuredClone(order);
  }

  /**
   * [U] Newest first: Zoho's default order for this list is undocumented.
   * `salesorder_number` and `reference_number` match exactly: Books v3
   * documents both filters [T]; Inventory's contract lists none ([U]).
   */
  listSalesOrders(
    filter: { salesorderNumber?: string; referenceNumber?: string },
    paging: Paging,
  ): ListPage<ReturnType<typeof salesOrderSummary>> {
    const newestFirst = [...this.#salesOrders.values()]
      .reverse()
      .filter((o) => filter.salesorderNumber === undefined || o.salesorder_number === filter.salesorderNumber)
      .filter((o) => filter.referenceNumber === undefined || o.reference_number === filter.referenceNumber);
    const { page, page_context } = paginate(newestFirst, paging);
    return { page: page.map(salesOrderSummary), page_context };
  }

  getSalesOrder(id: string): SalesOrder {
    return structuredClone(this.#salesOrder(id));
  }

  /** Only a draft can be confirmed ([U]: Zoho's answer to confirming twice is undocumented; the sandbox refuses). */
  confirmSalesOrder(id: string): SalesOrder {
    const order = this.#salesOrder(id);
    if (order.status !== "draft") {
      throw new ZohoError(400, ZohoCode.statusChangeNotAllowed, `Sales order is already ${order.status}.`);
    }
    order.status = "confirmed";
    order.last_modified_time = this.#timestamp();
    this.#onChange();
    return structuredClone(order);
  }

  /**
   * Confirms each draft among `ids` and refuses the rest one by one, as the
   * bulk endpoint's answer lists them ([U]: how Zoho treats a mix is
   * undocumented). The list itself must hold 1 to MAX_BULK_IDS ids.
   */
  bulkConfirmSalesOrders(ids: readonly string[]): BulkOutcome {
    if (ids.length === 0 || ids.some((id) => id === "")) throw invalidValue("Invalid value passed for salesorder_ids");
    if (ids.length > MAX_BULK_IDS) throw invalidValue(`Invalid value passed for salesorder_ids: at most ${MAX_BULK_IDS} ids`);
    const outcome: BulkOutcome = { changed: [], refused: [] };
    for (const id of new Set(ids)) {
      try {
        this.confirmSalesOrder(id);
        outcome.changed.push(id);
      } catch (err) {
        if (!(err instanceof ZohoError)) throw err;
        outcome.refused.push({ id, code: err.code, message: err.message });
      }
    }
    return outcome;
  }

  /** A draft or confirmed order can be voided once ([U]: Zoho's answer to voiding twice is undocumented; the sandbox refuses). */
  voidSalesOrder(id: string): SalesOrder {
    const order = this.#salesOrder(id);
    if (order.status === "void") throw new ZohoError(400, ZohoCode.statusChangeNotAllowed, "Sales order is already void.");
    order.status = "void";
    order.last_modified_time = this.#timestamp();
    this.#onChange();
    return structuredClone(order);
  }

  #salesOrder(id: string): SalesOrder {
    const order = this.#salesOrders.get(id);
    if (!order) throw new ZohoError(404, ZohoCode.doesNotExist, "Sales Order does not exist.");
    return order;
  }

  #findByNumber(number: string): SalesOrder | undefined {
    for (const order of this.#salesOrders.values()) if (order.salesorder_number === number) return order;
    return undefined;
  }

  #lineItem(input: Record<string, unknown>, index: number): LineItem {
    const itemId = requiredId(input, "item_id");
    const item = this.#items.find((i) => i.item_id === itemId);
    if (!item) throw new ZohoError(400, ZohoCode.doesNotExist, "Item does not exist.");
    const rate = optionalNumber(input, "rate") ?? item.rate;
    if (rate < 0) throw invalidValue("Invalid value passed for rate");
    const quantity = optionalNumber(input, "quantity") ?? 1;
    if (quantity <= 0) throw invalidValue("Invalid value passed for quantity");
    return {
      line_item_id: this.#newId(),
      item_id: item.item_id,
      name: optionalString(input, "name") ?? item.name,
      description: optionalString(input, "description") ?? item.description,
      item_order: index,
      rate,
      quantity,
      unit: optionalString(input, "unit") ?? item.unit,
      item_total: round2(rate * quantity),
    };
  }

  #nextAutoNumber(): string {
    let number: string;
    do number = `SO-${String(++this.#lastAutoNumber).padStart(5, "0")}`;
    while (this.#findByNumber(number));
    return number;
  }

  #newId(): string {
    return String(++this.#lastId);
  }

  #timestamp(): string {
    // Zoho's form: 2013-08-05T17:14:33+0000.
    return new Date(this.#now()).toISOString().replace(/\.\d{3}Z$/, "+0000");
  }

  #today(): string {
    return new Date(this.#now()).toISOString().slice(0, 10);
  }
}

/** The row GET /contacts returns: the contact with its primary person's name, email and phones. */
export function contactSummary(contact: Contact) {
  const primary = contact.contact_persons.find((p) => p.is_primary_contact);
  return {
    contact_id: contact.contact_id,
    contact_name: contact.contact_name,
    company_name: contact.company_name,
    contact_type: contact.contact_type,
    status: contact.status,
    currency_code: contact.currency_code,
    first_name: primary?.first_name ?? "",
    last_name: primary?.last_name ?? "",
    email: primary?.email ?? "",
    phone: primary?.phone ?? "",
    mobile: primary?.mobile ?? "",
    created_time: contact.created_time,
    last_modified_time: contact.last_modified_time,
  };
}

/** The row GET /salesorders returns. */
export function salesOrderSummary(order: SalesOrder) {
  return {
    salesorder_id: order.salesorder_id,
    salesorder_number: order.salesorder_number,
    customer_id: order.customer_id,
    customer_name: order.customer_name,
    status: order.status,
    reference_number: order.reference_number,
    date: order.date,
    currency_code: order.currency_code,
    total: order.total,
    created_time: order.created_time,
    last_modified_time: order.last_modified_time,
  };
}

function clonePage<T>(page: ListPage<T>): ListPage<T> {
  return { page: structuredClone(page.page), page_context: page.page_context };
}

function jsonObject(value: unknown, field?: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidValue(field ? `Invalid value passed for ${field}` : "The request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

function optionalString(input: Record<string, unknown>, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalidValue(`Invalid value passed for ${field}`);
  return value;
}

function requiredString(input: Record<string, unknown>, field: string, maxLength: number): string {
  const value = optionalString(input, field)?.trim();
  if (!value) throw invalidValue(`${field} is required`);
  if (value.length > maxLength) throw invalidValue(`Invalid value passed for ${field}: at most ${maxLength} characters`);
  return value;
}

/** Zoho ids are strings on the wire, but its own examples send them as JSON numbers too. */
function requiredId(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  if (typeof value === "string" && value.trim() !== "") return value.trim();
  throw invalidValue(value === undefined ? `${field} is required` : `Invalid value passed for ${field}`);
}

function optionalNumber(input: Record<string, unknown>, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) throw invalidValue(`Invalid value passed for ${field}`);
  return value;
}

function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value);
}

function round2(value: number): number {
  return Math.round((value + Number.EPSILON) * 100) / 100;
}
