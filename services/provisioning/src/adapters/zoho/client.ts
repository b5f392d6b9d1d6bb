import type { Logger } from "@t2m/platform";
import { ZohoApiError, type ZohoOperation } from "./errors.js";
import { exchange, type ZohoHttpOptions, type ZohoRequestEvent } from "./http.js";
import { ZohoAccessTokenProvider } from "./token-provider.js";
import {
  calendarDate,
  contactPayload,
  parseContacts,
  parseCreatedContact,
  parseEnvelope,
  parseItems,
  parseSalesOrder,
  parseSalesOrderPage,
  salesOrderPayload,
  type NewContact,
  type NewSalesOrder,
  type ZohoContact,
  type ZohoItem,
  type ZohoSalesOrder,
} from "./wire.js";

/** Where Zoho is and who we are to it. */
export interface ZohoCredentials {
  /** e.g. https://accounts.zoho.com (the data centre's accounts server). */
  readonly accountsUrl: string;
  /** e.g. https://www.zohoapis.com/inventory/v1; the sandbox's is http://127.0.0.1:PORT/inventory/v1. */
  readonly apiUrl: string;
  readonly organizationId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
}

export interface ZohoClientOptions extends ZohoCredentials {
  readonly logger: Logger;
  /** Per HTTP request, body included. Default 15 s. */
  readonly requestTimeoutMs?: number;
  /** Called after every HTTP exchange, the token refresh included, e.g. to feed a histogram. */
  readonly onRequest?: (event: ZohoRequestEvent) => void;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Default: Date.now. */
  readonly now?: () => number;
  /** How many pages of 200 (newest first) to search for an existing sales order number. Default 10. */
  readonly salesOrderLookupMaxPages?: number;
  /** The zone a sales order's date is taken in. Default Africa/Lagos (T2Mobile's). */
  readonly timeZone?: string;
}

/** What provisioning asks for: one confirmed sales order for one T2Mobile order. */
export interface ConfirmedSalesOrderRequest {
  readonly orderId: string;
  readonly customer: { readonly customerId: string; readonly name: string; readonly email: string; readonly phone: string };
  readonly line: {
    readonly sku: string;
    readonly name: string;
    readonly description: string;
    /** Unit price in naira (major units). */
    readonly rate: number;
    readonly quantity: number;
  };
}

export interface ConfirmedSalesOrder {
  readonly salesOrderId: string;
  readonly salesOrderNumber: string;
  readonly zohoCustomerId: string;
}

const PER_PAGE = 200;

/** Zoho Inventory v1, as far as fulfilment needs it. Each call is made once (a 401 aside); retrying is the caller's decision, guided by ZohoApiError.retryable. */
export class ZohoInventoryClient {
  readonly #apiUrl: string;
  readonly #organizationId: string;
  readonly #http: ZohoHttpOptions;
  readonly #tokens: ZohoAccessTokenProvider;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #lookupMaxPages: number;
  readonly #timeZone: string;
  /** SKU → item; items are catalogue data that change rarely, and a miss is not cached. */
  readonly #itemsBySku = new Map<string, ZohoItem>();
  /** Email → contact lookup-or-create in progress, so two orders of a new customer make one contact. */
  readonly #contactsInFlight = new Map<string, Promise<ZohoContact>>();

  constructor(options: ZohoClientOptions) {
    this.#apiUrl = options.apiUrl.replace(/\/+$/, "");
    this.#organizationId = options.organizationId;
    this.#logger = options.logger.child({ component: "zoho" });
    this.#now = options.now ?? Date.now;
    this.#lookupMaxPages = options.salesOrderLookupMaxPages ?? 10;
    this.#timeZone = options.timeZone ?? "Africa/Lagos";
    this.#http = {
      fetch: options.fetch ?? globalThis.fetch,
      timeoutMs: options.requestTimeoutMs ?? 15_000,
      logger: this.#logger,
      onRequest: options.onRequest,
    };
    this.#tokens = new ZohoAccessTokenProvider({
      accountsUrl: options.accountsUrl,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      refreshToken: options.refreshToken,
      http: this.#http,
      logger: this.#logger,
      now: this.#now,
      apiOrigin: new URL(this.#apiUrl).origin,
    });
  }

  async findItemBySku(sku: string): Promise<ZohoItem | undefined> {
    const cached = this.#itemsBySku.get(sku);
    if (cached) return cached;
    const body = await this.#call("listItems", "GET", "/items", { query: { sku } });
    // The filter is Zoho's; checking the SKU again guards against a filter it ignored.
    const item = parseItems(body).find((i) => i.sku === sku);
    if (item) this.#itemsBySku.set(sku, item);
    return item;
  }

  /** A customer contact whose primary email is this one, ignoring case. */
  async findContactByEmail(email: string): Promise<ZohoContact | undefined> {
    const body = await this.#call("findContacts", "GET", "/contacts", { query: { email } });
    const wanted = email.toLowerCase();
    return parseContacts(body).find((c) => c.email.toLowerCase() === wanted && (c.contactType === "" || c.contactType === "customer"));
  }

  async createContact(contact: NewContact): Promise<ZohoContact> {
    return parseCreatedContact(await this.#call("createContact", "POST", "/contacts", { body: contactPayload(contact) }));
  }

  /** Creates a draft numbered `salesorderNumber` (Zoho's own numbering is switched off for it). */
  async createSalesOrder(order: NewSalesOrder): Promise<ZohoSalesOrder> {
    const body = await this.#call("createSalesOrder", "POST", "/salesorders", {
      query: { ignore_auto_number_generation: "true" },
      body: salesOrderPayload(order),
    });
    return parseSalesOrder("createSalesOrder", body);
  }

  /**
   * Searches the newest `salesOrderLookupMaxPages` pages of orders: the
   * Inventory list filters by page only, and an order we look for is one we
   * made recently.
   */
  async findSalesOrderByNumber(number: string): Promise<ZohoSalesOrder | undefined> {
    for (let page = 1; page <= this.#lookupMaxPages; page++) {
      const body = await this.#call("listSalesOrders", "GET", "/salesorders", { query: { page: String(page), per_page: String(PER_PAGE) } });
      const { orders, hasMorePage } = parseSalesOrderPage(body);
      const found = orders.find((o) => o.salesOrderNumber === number);
      if (found) return found;
      if (!hasMorePage) return undefined;
    }
    this.#logger.warn({ salesOrderNumber: number, pages: this.#lookupMaxPages }, "zoho sales order lookup gave up before the last page");
    return undefined;
  }

  async getSalesOrder(salesOrderId: string): Promise<ZohoSalesOrder> {
    const body = await this.#call("getSalesOrder", "GET", `/salesorders/${encodeURIComponent(salesOrderId)}`, {});
    return parseSalesOrder("getSalesOrder", body);
  }

  async confirmSalesOrder(salesOrderId: string): Promise<void> {
    await this.#call("confirmSalesOrder", "POST", `/salesorders/${encodeURIComponent(salesOrderId)}/status/confirmed`, {});
  }

  /**
   * The sales order for one T2Mobile order, created at most once however
   * often this is retried: it is numbered with the order id, and when Zoho
   * refuses that number because a crashed or timed-out attempt already made
   * it, the existing order is taken over and confirmed if it is still a draft.
   */
  async createConfirmedSalesOrder(request: ConfirmedSalesOrderRequest): Promise<ConfirmedSalesOrder> {
    const { orderId, customer, line } = request;
    const item = await this.findItemBySku(line.sku);
    if (!item) {
      throw new ZohoApiError({
        operation: "listItems",
        kind: "missing-item",
        retryable: false,
        message: `Zoho has no item with SKU ${line.sku} (order ${orderId})`,
      });
    }
    const contact = await this.#findOrCreateContact(customer);
    const order = await this.#createOrTakeOver(orderId, {
      salesorderNumber: orderId,
      customerId: contact.contactId,
      date: calendarDate(this.#now(), this.#timeZone),
      referenceNumber: orderId,
      lineItems: [{ itemId: item.itemId, name: line.name, description: line.description, rate: line.rate, quantity: line.quantity }],
    });
    if (order.status === "draft") await this.#confirm(order);
    else if (order.status === "void") throw this.#conflict("createSalesOrder", `Zoho sales order ${orderId} exists but is void`);
    return { salesOrderId: order.salesOrderId, salesOrderNumber: order.salesOrderNumber, zohoCustomerId: order.customerId };
  }

  async #findOrCreateContact(customer: ConfirmedSalesOrderRequest["customer"]): Promise<ZohoContact> {
    const key = customer.email.toLowerCase();
    const inFlight = this.#contactsInFlight.get(key);
    if (inFlight) return inFlight;
    const lookup = this.#lookUpOrCreateContact(customer);
    this.#contactsInFlight.set(key, lookup);
    try {
      return await lookup;
    } finally {
      this.#contactsInFlight.delete(key);
    }
  }

  async #lookUpOrCreateContact(customer: ConfirmedSalesOrderRequest["customer"]): Promise<ZohoContact> {
    const existing = await this.findContactByEmail(customer.email);
    if (existing) return existing;
    // The T2Mobile customer id in the notes lets support find the contact from either side.
    return this.createContact({ name: customer.name, email: customer.email, phone: customer.phone, notes: `T2Mobile customer ${customer.customerId}` });
  }

  async #createOrTakeOver(orderId: string, order: NewSalesOrder): Promise<ZohoSalesOrder> {
    try {
      const created = await this.createSalesOrder(order);
      this.#logger.info({ orderId, salesOrderId: created.salesOrderId }, "zoho sales order created");
      return created;
    } catch (err) {
      // Zoho documents no code for "number already exists", so any refusal
      // (4xx) is checked against what Zoho holds under that number.
      if (!(err instanceof ZohoApiError) || err.kind !== "http" || err.retryable) throw err;
      const existing = await this.findSalesOrderByNumber(order.salesorderNumber);
      if (!existing) throw err;
      if (existing.customerId !== order.customerId) {
        throw this.#conflict("createSalesOrder", `Zoho sales order ${order.salesorderNumber} exists for another customer (${existing.customerId})`);
      }
      this.#logger.warn({ orderId, salesOrderId: existing.salesOrderId, status: existing.status }, "zoho sales order already existed; taking it over");
      return existing;
    }
  }

  /** Confirms; if Zoho refuses because the order is no longer a draft (an earlier attempt confirmed it), that is success. */
  async #confirm(order: ZohoSalesOrder): Promise<void> {
    try {
      await this.confirmSalesOrder(order.salesOrderId);
    } catch (err) {
      if (!(err instanceof ZohoApiError) || err.kind !== "http" || err.retryable) throw err;
      const current = await this.getSalesOrder(order.salesOrderId);
      if (current.status === "draft" || current.status === "void") throw err;
      this.#logger.info({ salesOrderId: order.salesOrderId, status: current.status }, "zoho sales order was already confirmed");
    }
  }

  #conflict(operation: ZohoOperation, message: string): ZohoApiError {
    return new ZohoApiError({ operation, kind: "conflict", retryable: false, message });
  }

  /** One API call with organization_id and the access token; a 401 refreshes the token and tries once more. */
  async #call(
    operation: ZohoOperation,
    method: "GET" | "POST",
    path: string,
    request: { query?: Record<string, string>; body?: Record<string, unknown> },
  ): Promise<Record<string, unknown>> {
    const url = new URL(`${this.#apiUrl}${path}`);
    url.searchParams.set("organization_id", this.#organizationId);
    for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, value);
    for (let attempt = 1; ; attempt++) {
      const token = await this.#tokens.get();
      const { status, json } = await exchange(this.#http, operation, url, {
        method,
        headers: {
          authorization: `Zoho-oauthtoken ${token}`,
          accept: "application/json",
          ...(request.body ? { "content-type": "application/json" } : {}),
        },
        body: request.body ? JSON.stringify(request.body) : undefined,
      });
      if (status === 401 && attempt === 1) {
        this.#logger.info({ operation }, "zoho refused the access token; refreshing once");
        this.#tokens.invalidate(token);
        continue;
      }
      return parseEnvelope(operation, status, json);
    }
  }
}
