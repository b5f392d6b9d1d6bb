import type { Logger } from "@t2m/platform";
// Pure helpers of the Zoho adapter: what its errors mean, and the order date.
import {
  isNumberTakenRefusal,
  ZOHO_DOES_NOT_EXIST_CODE,
  ZOHO_NOT_AUTHORIZED_CODE,
  ZohoApiError,
} from "../adapters/zoho/errors.js";
import { calendarDate } from "../adapters/zoho/wire.js";
import { BudgetExhaustedError, BudgetUnavailableError, type CallContext } from "./call-budget.js";
import { ConfirmBatcher } from "./confirm-batcher.js";
import { ContactDirectory, type ContactLookup, type ContactStore } from "./contacts.js";
import { isConfirmed, type SalesOrderDisposition, type SalesOrderRecord, type SalesOrderRequest } from "./provisioning.js";

/** A Zoho sales order as the workflow needs it. */
export interface ZohoOrder {
  readonly salesOrderId: string;
  readonly salesOrderNumber: string;
  readonly customerId: string;
  readonly status: string;
}

/** The Zoho calls the workflow makes (ZohoInventoryClient). */
export interface ZohoSalesOrderCalls extends ContactLookup {
  findItemBySku(sku: string, ctx: CallContext): Promise<{ itemId: string } | undefined>;
  forgetItem(sku: string): void;
  createSalesOrder(
    order: {
      salesorderNumber: string;
      customerId: string;
      date: string;
      referenceNumber?: string;
      lineItems: readonly { itemId: string; name: string; description: string; rate: number; quantity: number }[];
    },
    ctx: CallContext,
  ): Promise<ZohoOrder>;
  findSalesOrderByNumber(number: string, ctx: CallContext): Promise<ZohoOrder | undefined>;
  getSalesOrder(salesOrderId: string, ctx: CallContext): Promise<ZohoOrder>;
  confirmSalesOrder(salesOrderId: string, ctx: CallContext): Promise<void>;
  bulkConfirmSalesOrders(salesOrderIds: readonly string[], ctx: CallContext): Promise<{ confirmed: string[]; unconfirmed: string[] }>;
  voidSalesOrder(salesOrderId: string, ctx: CallContext): Promise<void>;
}

export interface SalesOrderStore {
  find(orderId: string): Promise<SalesOrderRecord | undefined>;
  /**
   * Stores a new record and returns it; when the order has one already,
   * returns that one. Throws IntegrityError when another order's record
   * holds the same Zoho sales order id, or the order's own holds another.
   */
  insertOrGet(record: SalesOrderRecord): Promise<SalesOrderRecord>;
  markConfirmed(orderId: string, at: Date): Promise<void>;
  recordDisposition(orderId: string, disposition: SalesOrderDisposition): Promise<void>;
}

/** Zoho's answer clashes with another order's records: never retried, and it alerts. */
export class IntegrityError extends Error {
  override readonly name = "IntegrityError";
  constructor(
    message: string,
    readonly orderId: string,
    readonly zohoSalesOrderId: string,
    readonly otherOrderId?: string,
  ) {
    super(message);
  }
}

/** Zoho refused the sales order number, and the order it holds under it could not be found yet. Retry later; never fail the order on it. */
export class ReconcilePendingError extends Error {
  override readonly name = "ReconcilePendingError";
}

export type VoidOutcome = { readonly disposition: "NONE" | "VOIDED" | "FLAGGED"; readonly zohoSalesOrderId: string };

export interface SalesOrdersOptions {
  readonly store: SalesOrderStore;
  readonly contacts: ContactStore;
  readonly zoho: ZohoSalesOrderCalls;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** The zone a sales order's date is taken in. Default Africa/Lagos (T2Mobile's). */
  readonly timeZone?: string;
  /** Most ids per bulk confirmation. Default 25. */
  readonly confirmBatchMax?: number;
  readonly onConfirmBatch?: (size: number) => void;
  /** A sales order Zoho would not void, left for a person. */
  readonly onFlagged?: (orderId: string, zohoSalesOrderId: string) => void;
}

/** A refusal of the request itself: not transient, not a spent budget, not our credentials. */
export function isRefusal(err: unknown): err is ZohoApiError {
  return (
    err instanceof ZohoApiError &&
    err.kind === "http" &&
    !err.retryable &&
    err.httpStatus !== 401 &&
    err.zohoCode !== ZOHO_NOT_AUTHORIZED_CODE
  );
}

/**
 * One Zoho sales order per T2Mobile order, made with as few calls as Zoho
 * allows and never twice however often it is asked, crashes included:
 *
 * 1. the item (remembered per SKU) and the customer's contact (remembered
 *    per customer) are resolved;
 * 2. the draft is created, numbered with the order id;
 * 3. it is confirmed (batched with other orders' confirmations) and the
 *    record stored once, confirmed (a draft is stored only when its
 *    confirmation fails, so a retry confirms it without creating again).
 *
 * A repeat resumes where the last attempt stopped. When Zoho refuses the
 * number (an attempt that crashed after Zoho made the order), the order is
 * looked up by number and taken over; if that cannot prove whether Zoho
 * holds it, ReconcilePendingError says to try again later.
 */
export class SalesOrders {
  readonly #store: SalesOrderStore;
  readonly #zoho: ZohoSalesOrderCalls;
  readonly #contacts: ContactDirectory;
  readonly #confirmations: ConfirmBatcher;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #timeZone: string;
  readonly #onFlagged: SalesOrdersOptions["onFlagged"];
  /** Order id → the attempt under way in this replica, which a repeat joins. */
  readonly #inFlight = new Map<string, Promise<{ record: SalesOrderRecord; replayed: boolean }>>();

  constructor(options: SalesOrdersOptions) {
    this.#store = options.store;
    this.#zoho = options.zoho;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#timeZone = options.timeZone ?? "Africa/Lagos";
    this.#onFlagged = options.onFlagged;
    this.#contacts = new ContactDirectory({ store: options.contacts, zoho: options.zoho, logger: options.logger, now: this.#now });
    this.#confirmations = new ConfirmBatcher({
      logger: options.logger,
      maxBatch: options.confirmBatchMax,
      onBatch: options.onConfirmBatch,
      calls: {
        confirmOne: (id, ctx) => this.#confirmOne(id, ctx),
        confirmMany: (ids, ctx) => this.#zoho.bulkConfirmSalesOrders(ids, ctx),
        isRefusal,
      },
    });
  }

  /** The order's confirmed sales order; `replayed` when it was confirmed before this call. */
  async create(request: SalesOrderRequest, ctx: CallContext): Promise<{ record: SalesOrderRecord; replayed: boolean }> {
    const running = this.#inFlight.get(request.orderId);
    if (running) return running;
    const attempt = this.#create(request, ctx).finally(() => this.#inFlight.delete(request.orderId));
    this.#inFlight.set(request.orderId, attempt);
    return attempt;
  }

  async #create(request: SalesOrderRequest, ctx: CallContext): Promise<{ record: SalesOrderRecord; replayed: boolean }> {
    const stored = await this.#store.find(request.orderId);
    if (stored && isConfirmed(stored)) return { record: stored, replayed: true };
    if (stored) return { record: await this.#confirm(stored, ctx, { stored: true }), replayed: false };
    const made = await this.#make(request, ctx);
    if (isConfirmed(made)) return { record: await this.#store.insertOrGet(made), replayed: false };
    return { record: await this.#confirm(made, ctx, { stored: false }), replayed: false };
  }

  /**
   * Confirms the draft, then stores the record once, confirmed. A draft is stored only when its
   * confirmation fails (budget spent, Zoho unavailable): the retry then confirms it without creating
   * anything. A crash between creating and storing is caught by the number: the retry's create is
   * refused and the order taken over (#takeOver).
   */
  async #confirm(draft: SalesOrderRecord, ctx: CallContext, { stored }: { stored: boolean }): Promise<SalesOrderRecord> {
    try {
      await this.#confirmations.confirm(draft.zohoSalesOrderId, ctx);
    } catch (err) {
      if (!stored) await this.#store.insertOrGet(draft);
      throw err;
    }
    const confirmedAt = this.#now();
    if (stored) {
      await this.#store.markConfirmed(draft.orderId, confirmedAt);
      return { ...draft, status: "confirmed", confirmedAt };
    }
    return this.#store.insertOrGet({ ...draft, status: "confirmed", confirmedAt });
  }

  /** The order's sales order in Zoho, made or taken over; not stored yet. */
  async #make(request: SalesOrderRequest, ctx: CallContext): Promise<SalesOrderRecord> {
    const order = await this.#createOrTakeOver(request, ctx);
    const createdAt = this.#now();
    const confirmed = order.status !== "draft";
    return {
      orderId: request.orderId,
      zohoSalesOrderId: order.salesOrderId,
      zohoSalesOrderNumber: order.salesOrderNumber,
      zohoCustomerId: order.customerId,
      createdAt,
      status: confirmed ? "confirmed" : "created",
      ...(confirmed ? { confirmedAt: createdAt } : {}),
    };
  }

  async #createOrTakeOver(request: SalesOrderRequest, ctx: CallContext): Promise<ZohoOrder> {
    const { orderId, customer, line } = request;
    for (let attempt = 1; ; attempt++) {
      const item = await this.#zoho.findItemBySku(line.sku, ctx);
      if (!item) {
        throw new ZohoApiError({ operation: "listItems", kind: "missing-item", retryable: false, message: `Zoho has no item with SKU ${line.sku} (order ${orderId})` });
      }
      const contactId = await this.#contacts.resolve(customer, ctx);
      try {
        const created = await this.#zoho.createSalesOrder(
          {
            salesorderNumber: orderId,
            customerId: contactId,
            date: calendarDate(this.#now().getTime(), this.#timeZone),
            referenceNumber: orderId,
            lineItems: [{ itemId: item.itemId, name: line.name, description: line.description, rate: line.rate, quantity: line.quantity }],
          },
          ctx,
        );
        this.#logger.info({ orderId, salesOrderId: created.salesOrderId }, "zoho sales order created");
        return created;
      } catch (err) {
        if (!isRefusal(err)) throw err;
        // A remembered contact or item Zoho no longer has: forget both, resolve again, once.
        if (attempt === 1 && err.zohoCode === ZOHO_DOES_NOT_EXIST_CODE) {
          this.#zoho.forgetItem(line.sku);
          await this.#contacts.forget(customer, contactId);
          continue;
        }
        return this.#takeOver(orderId, contactId, err, ctx);
      }
    }
  }

  /**
   * Zoho refused the create. Zoho documents no code for "number taken", so
   * any refusal is checked against what Zoho holds under the number.
   */
  async #takeOver(orderId: string, contactId: string, refusal: ZohoApiError, ctx: CallContext): Promise<ZohoOrder> {
    let existing: ZohoOrder | undefined;
    try {
      existing = await this.#zoho.findSalesOrderByNumber(orderId, ctx);
    } catch (err) {
      if (err instanceof BudgetExhaustedError || err instanceof BudgetUnavailableError) throw err;
      throw new ReconcilePendingError(
        `Zoho refused sales order ${orderId} (${refusal.message}) and looking it up by number failed (${(err as Error).message}): whether Zoho holds it is not proven yet`,
        { cause: err },
      );
    }
    if (!existing) {
      if (isNumberTakenRefusal(refusal)) {
        throw new ReconcilePendingError(`Zoho says sales order number ${orderId} is taken but no order with it can be found yet (${refusal.message})`);
      }
      // Zoho holds nothing under the number: the refusal stands.
      throw refusal;
    }
    if (existing.customerId !== contactId) {
      throw new ZohoApiError({
        operation: "createSalesOrder",
        kind: "conflict",
        retryable: false,
        message: `Zoho sales order ${orderId} exists for another customer (${existing.customerId})`,
      });
    }
    if (existing.status === "void") {
      throw new ZohoApiError({ operation: "createSalesOrder", kind: "conflict", retryable: false, message: `Zoho sales order ${orderId} exists but is void` });
    }
    this.#logger.warn({ orderId, salesOrderId: existing.salesOrderId, status: existing.status }, "zoho sales order already existed; taking it over");
    return existing;
  }

  /** Confirms one draft; if Zoho refuses because it is no longer a draft (an earlier attempt confirmed it), that is success. */
  async #confirmOne(salesOrderId: string, ctx: CallContext): Promise<void> {
    try {
      await this.#zoho.confirmSalesOrder(salesOrderId, ctx);
    } catch (err) {
      if (!isRefusal(err)) throw err;
      const current = await this.#zoho.getSalesOrder(salesOrderId, ctx);
      if (current.status === "draft" || current.status === "void") throw err;
      this.#logger.info({ salesOrderId, status: current.status }, "zoho sales order was already confirmed");
    }
  }

  /**
   * Voids the order's sales order (an order that failed after Zoho made
   * it), or flags it for a person when Zoho refuses; the outcome is kept
   * with the record, so asking again answers the same without calling Zoho.
   * Without a record, Zoho is asked by number (an attempt that crashed
   * before storing); NONE when it holds nothing.
   */
  async void(orderId: string, reason: string, ctx: CallContext): Promise<VoidOutcome> {
    let record = await this.#store.find(orderId);
    if (record?.disposition) return { disposition: record.disposition.kind, zohoSalesOrderId: record.zohoSalesOrderId };
    if (!record) {
      const found = await this.#zoho.findSalesOrderByNumber(orderId, ctx);
      if (!found) return { disposition: "NONE", zohoSalesOrderId: "" };
      const createdAt = this.#now();
      record = await this.#store.insertOrGet({
        orderId,
        zohoSalesOrderId: found.salesOrderId,
        zohoSalesOrderNumber: found.salesOrderNumber,
        zohoCustomerId: found.customerId,
        createdAt,
        status: found.status === "draft" ? "created" : "confirmed",
      });
      if (record.disposition) return { disposition: record.disposition.kind, zohoSalesOrderId: record.zohoSalesOrderId };
    }
    const id = record.zohoSalesOrderId;
    let disposition: SalesOrderDisposition;
    try {
      await this.#zoho.voidSalesOrder(id, ctx);
      disposition = { kind: "VOIDED", reason, at: this.#now() };
    } catch (err) {
      if (!isRefusal(err)) throw err;
      // Refused: perhaps an earlier attempt voided it and died before recording that.
      const current = await this.#zoho.getSalesOrder(id, ctx).catch((lookup: unknown) => {
        if (isRefusal(lookup)) return undefined;
        throw lookup;
      });
      if (current?.status === "void") {
        disposition = { kind: "VOIDED", reason, at: this.#now() };
      } else {
        disposition = { kind: "FLAGGED", reason, at: this.#now(), detail: err.message };
        this.#logger.error({ orderId, zohoSalesOrderId: id, reason, refusal: err.message }, "zoho would not void the sales order of a failed order; flagged for a person");
        this.#onFlagged?.(orderId, id);
      }
    }
    await this.#store.recordDisposition(orderId, disposition);
    if (disposition.kind === "VOIDED") this.#logger.info({ orderId, zohoSalesOrderId: id, reason }, "zoho sales order voided");
    return { disposition: disposition.kind, zohoSalesOrderId: id };
  }
}
