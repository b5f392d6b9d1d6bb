import type { Logger } from "@t2m/platform";
import { CallBudget, InMemoryBudgetStore, type CallContext } from "../../domain/call-budget.js";
import { isRateLimitAnswer, ZohoApiError, type ZohoOperation } from "./errors.js";
import { exchange, undiciFetch, type ZohoExchange, type ZohoFetch, type ZohoHttpOptions, type ZohoRequestEvent } from "./http.js";
import { defaultPausePolicy, rateLimitPauseMs, retryAfterMs, type PausePolicy } from "./rate-limit.js";
import { ZohoAccessTokenProvider } from "./token-provider.js";
import {
  contactPayload,
  parseBulkConfirmation,
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

/**
 * What every Inventory call goes through: the shared call budget (CallBudget
 * in production), which holds a call until it may start, and pauses every
 * call when Zoho says it is over its limit.
 */
export interface ZohoCallGate {
  run<T>(ctx: CallContext, call: (slot: number) => Promise<T>, options?: { keepLease?: (err: unknown) => boolean }): Promise<T>;
  /** No call starts for this long (from the gate's own clock). */
  pauseFor(ms: number): Promise<void>;
}

export interface ZohoClientOptions extends ZohoCredentials {
  readonly logger: Logger;
  /** Per HTTP request, body included. Default 15 s. */
  readonly requestTimeoutMs?: number;
  /** Called after every HTTP exchange, the token refresh included, e.g. to feed metrics. */
  readonly onRequest?: (event: ZohoRequestEvent) => void;
  /** Called when Zoho answers over its limit, before every call is paused. */
  readonly onRateLimited?: (event: { operation: ZohoOperation; pauseMs: number }) => void;
  /** Default: a budget with no limits of its own that still honours pauses. */
  readonly budget?: ZohoCallGate;
  /** How long to pause after a rate-limit answer. */
  readonly pausePolicy?: PausePolicy;
  /** The deadline of calls made without a context: this long from now. Default 20 s. */
  readonly defaultMaxWaitMs?: number;
  /** Default: undici's request() (tests may pass a fetch). */
  readonly fetch?: ZohoFetch;
  /** The clock for tokens and order dates. Default: Date.now. */
  readonly now?: () => number;
}

/**
 * Zoho Inventory v1, one method per call. Every call goes through the call
 * budget; a rate-limit answer (HTTP 429, or code 45 on any status) pauses
 * the budget as Zoho asks and the call is made again (never a failure); a
 * 401 refreshes the token and tries once more. Anything else is the
 * caller's to decide, guided by ZohoApiError.retryable.
 */
export class ZohoInventoryClient {
  readonly #apiUrl: string;
  readonly #organizationId: string;
  readonly #http: ZohoHttpOptions;
  readonly #tokens: ZohoAccessTokenProvider;
  readonly #logger: Logger;
  readonly #budget: ZohoCallGate;
  readonly #pausePolicy: PausePolicy;
  readonly #defaultMaxWaitMs: number;
  readonly #onRateLimited: ZohoClientOptions["onRateLimited"];
  /** SKU → item; items are catalogue data that change rarely, and a miss is not cached. */
  readonly #itemsBySku = new Map<string, ZohoItem>();

  constructor(options: ZohoClientOptions) {
    this.#apiUrl = options.apiUrl.replace(/\/+$/, "");
    this.#organizationId = options.organizationId;
    this.#logger = options.logger.child({ component: "zoho" });
    this.#budget = options.budget ?? unlimitedGate();
    this.#pausePolicy = options.pausePolicy ?? defaultPausePolicy;
    this.#defaultMaxWaitMs = options.defaultMaxWaitMs ?? 20_000;
    this.#onRateLimited = options.onRateLimited;
    this.#http = {
      fetch: options.fetch ?? undiciFetch,
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
      now: options.now ?? Date.now,
      apiOrigin: new URL(this.#apiUrl).origin,
    });
  }

  /** The item with this SKU, remembered once found. */
  async findItemBySku(sku: string, ctx = this.#context()): Promise<ZohoItem | undefined> {
    const cached = this.#itemsBySku.get(sku);
    if (cached) return cached;
    const body = await this.#call("listItems", "GET", "/items", { query: { sku } }, ctx);
    // The filter is Zoho's; checking the SKU again guards against a filter it ignored.
    const item = parseItems(body).find((i) => i.sku === sku);
    if (item) this.#itemsBySku.set(sku, item);
    return item;
  }

  /** Forgets a remembered item, e.g. when Zoho says it no longer exists. */
  forgetItem(sku: string): void {
    this.#itemsBySku.delete(sku);
  }

  /** A customer contact whose primary email is this one, ignoring case. */
  async findContactByEmail(email: string, ctx = this.#context()): Promise<ZohoContact | undefined> {
    const body = await this.#call("findContacts", "GET", "/contacts", { query: { email } }, ctx);
    const wanted = email.toLowerCase();
    return parseContacts(body).find((c) => c.email.toLowerCase() === wanted && (c.contactType === "" || c.contactType === "customer"));
  }

  async createContact(contact: NewContact, ctx = this.#context()): Promise<ZohoContact> {
    return parseCreatedContact(await this.#call("createContact", "POST", "/contacts", { body: contactPayload(contact) }, ctx));
  }

  /**
   * Creates a draft numbered `salesorderNumber` (Zoho's own numbering is
   * switched off for it). Zoho Inventory cannot create a sales order already
   * confirmed: the create request has no status field, so confirming is a
   * second call (batched by ConfirmBatcher).
   */
  async createSalesOrder(order: NewSalesOrder, ctx = this.#context()): Promise<ZohoSalesOrder> {
    const body = await this.#call(
      "createSalesOrder",
      "POST",
      "/salesorders",
      { query: { ignore_auto_number_generation: "true" }, body: salesOrderPayload(order) },
      ctx,
    );
    return parseSalesOrder("createSalesOrder", body);
  }

  /**
   * The sales order numbered `number`, found with the list's
   * `salesorder_number` filter: documented for Books v3 [T], not in
   * Inventory's contract [U]. The number is checked here again, so a filter
   * Zoho ignored yields "not found" rather than another order; the newest
   * orders are never paged through.
   */
  async findSalesOrderByNumber(number: string, ctx = this.#context()): Promise<ZohoSalesOrder | undefined> {
    const body = await this.#call("listSalesOrders", "GET", "/salesorders", { query: { salesorder_number: number } }, ctx);
    return parseSalesOrderPage(body).orders.find((o) => o.salesOrderNumber === number);
  }

  async getSalesOrder(salesOrderId: string, ctx = this.#context()): Promise<ZohoSalesOrder> {
    const body = await this.#call("getSalesOrder", "GET", `/salesorders/${encodeURIComponent(salesOrderId)}`, {}, ctx);
    return parseSalesOrder("getSalesOrder", body);
  }

  async confirmSalesOrder(salesOrderId: string, ctx = this.#context()): Promise<void> {
    await this.#call("confirmSalesOrder", "POST", `/salesorders/${encodeURIComponent(salesOrderId)}/status/confirmed`, {}, ctx);
  }

  /** Confirms several drafts in one call; says which ids Zoho reported confirmed and which not. */
  async bulkConfirmSalesOrders(salesOrderIds: readonly string[], ctx = this.#context()): Promise<{ confirmed: string[]; unconfirmed: string[] }> {
    const body = await this.#call("bulkConfirmSalesOrders", "POST", "/salesorders/status/confirmed", { query: { salesorder_ids: salesOrderIds.join(",") } }, ctx);
    return parseBulkConfirmation(body, salesOrderIds);
  }

  async voidSalesOrder(salesOrderId: string, ctx = this.#context()): Promise<void> {
    await this.#call("voidSalesOrder", "POST", `/salesorders/${encodeURIComponent(salesOrderId)}/status/void`, {}, ctx);
  }

  #context(): CallContext {
    const now = Date.now();
    return { priority: now, deadline: now + this.#defaultMaxWaitMs };
  }

  /** One API call with organization_id and the access token, within the budget. */
  async #call(
    operation: ZohoOperation,
    method: "GET" | "POST",
    path: string,
    request: { query?: Record<string, string>; body?: Record<string, unknown> },
    ctx: CallContext,
  ): Promise<Record<string, unknown>> {
    const url = new URL(`${this.#apiUrl}${path}`);
    url.searchParams.set("organization_id", this.#organizationId);
    for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, value);
    let refreshed = false;
    for (;;) {
      // The token first: a refresh must not hold a slot (the accounts server is not the Inventory API).
      const token = await this.#tokens.get();
      const answer: ZohoExchange = await this.#budget.run(
        ctx,
        () =>
          exchange(this.#http, operation, url, {
            method,
            headers: {
              authorization: `Zoho-oauthtoken ${token}`,
              accept: "application/json",
              ...(request.body ? { "content-type": "application/json" } : {}),
            },
            body: request.body ? JSON.stringify(request.body) : undefined,
          }),
        // A call we stopped waiting for may still be running at Zoho: it keeps its place until its lease runs out.
        { keepLease: (err) => err instanceof ZohoApiError && err.kind === "timeout" },
      );
      const code = zohoCodeOf(answer.json);
      if (isRateLimitAnswer(answer.status, code)) {
        const pauseMs = rateLimitPauseMs(answer.headers, Date.now(), this.#pausePolicy);
        this.#logger.warn({ operation, status: answer.status, code, pauseMs }, "zoho is over its rate limit; pausing every call, then trying again");
        this.#onRateLimited?.({ operation, pauseMs });
        await this.#budget.pauseFor(pauseMs);
        continue;
      }
      if (answer.status === 401 && !refreshed) {
        refreshed = true;
        this.#logger.info({ operation }, "zoho refused the access token; refreshing once");
        this.#tokens.invalidate(token);
        continue;
      }
      return parseEnvelope(operation, answer.status, answer.json, retryAfterMs(answer.headers, Date.now()));
    }
  }
}

function zohoCodeOf(json: unknown): number | undefined {
  const code = typeof json === "object" && json !== null ? (json as { code?: unknown }).code : undefined;
  return typeof code === "number" ? code : undefined;
}

/** A budget with no limits of its own: it only holds calls while a pause lasts. */
export function unlimitedGate(): ZohoCallGate {
  return new CallBudget({
    store: new InMemoryBudgetStore(),
    limits: { callsPerWindow: 0, windowMs: 60_000, marginMs: 0, maxConcurrent: 0, leaseMs: 0 },
    holder: "local",
  });
}
