import type { FailureCode } from "./failures.js";
import type { OrderStatus } from "./lifecycle.js";
import type { OrderSubmission } from "./submission.js";

export type { OrderStatus } from "./lifecycle.js";

export interface SalesOrderResult {
  readonly zohoSalesOrderId: string;
  readonly zohoSalesOrderNumber: string;
  readonly zohoCustomerId: string;
}

export interface LicenceResult {
  readonly activationReference: string;
  readonly expiryDate: Date;
}

/**
 * An accepted order and everything done for it so far. After intake stores
 * it, only the fulfilment worker holding the order's current attempt writes
 * it (see lifecycle.ts and the attempt claims), so no two writers race on
 * one document, on MongoDB or FerretDB.
 */
export interface OrderRecord {
  /** The platform's id (platformOrderId): the partner's own id for T2Mobile, "<partnerId>~<id>" for others. */
  readonly orderId: string;
  /** The partner that placed the order (orders stored before partners read as "t2mobile"). */
  readonly partnerId: string;
  /** The order id as the partner sent it. */
  readonly partnerOrderId: string;
  /** The partner-scoped key (scopedIdempotencyKey), or a released one once it expired (releasedIdempotencyKey). */
  readonly idempotencyKey: string;
  /** submissionFingerprint() of what was ordered. */
  readonly fingerprint: string;
  readonly status: OrderStatus;
  readonly productId: string;
  readonly productName: string;
  readonly zohoItemSku: string;
  readonly tenure: string;
  readonly tenureMonths: number;
  readonly customer: OrderSubmission["customer"];
  /** Price of the tenure when the order was accepted, in minor units. */
  readonly price: { readonly currencyCode: string; readonly amountMinor: number };
  /** Attempts a worker has started (claimed); 0 while PENDING. */
  readonly attempts: number;
  /** While an attempt runs: until when its worker holds the order unless it renews. */
  readonly leaseUntil?: Date;
  /** While the order waits to be retried: when the next attempt is due. */
  readonly nextAttemptAt?: Date;
  /** Set while the order waits for its licence in the manual queue (its next attempt asks again). */
  readonly waitingFor?: "manual";
  /** When it started waiting for an operator (the give-up age runs from here), and how often it asked since. */
  readonly manualWaitSince?: Date;
  readonly manualPolls?: number;
  /** Why the last attempt failed (internal text, for logs and IconTech's tools). */
  readonly lastError?: string;
  readonly zohoSalesOrderId?: string;
  readonly zohoSalesOrderNumber?: string;
  readonly zohoCustomerId?: string;
  readonly activationReference?: string;
  readonly expiryDate?: Date;
  readonly failureCode?: FailureCode;
  /** What went wrong in internal terms; never shown to T2Mobile. */
  readonly failureDetail?: string;
  /** The partner's failure text when a person wrote some (partnerFailureReason); else the code's fixed message. */
  readonly failureReason?: string;
  /** For an order that failed after its Zoho sales order existed. */
  readonly salesOrderDisposition?: "VOIDED" | "FLAGGED";
  /** A renewal order: the subscription it renews, as named and as resolved at intake. */
  readonly renews?: Renewal;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly fulfilledAt?: Date;
  readonly failedAt?: Date;
}

/** The subscription a renewal order renews. */
export interface Renewal {
  /** As the caller named it: an activation reference or the original order id. */
  readonly reference: string;
  /** The subscription's id (its original order's id), resolved at intake; empty until then. */
  readonly subscriptionId: string;
}

/** What the catalogue says about the product and tenure ordered. */
export interface CatalogueOffer {
  readonly productId: string;
  readonly productName: string;
  readonly zohoItemSku: string;
  readonly tenure: string;
  readonly months: number;
  readonly price: { readonly currencyCode: string; readonly amountMinor: number };
  /** What renewing for this tenure costs (the price unless the catalogue sets another). */
  readonly renewalPrice: { readonly currencyCode: string; readonly amountMinor: number };
}

export type RejectionReason =
  | "INVALID_ORDER"
  | "PRODUCT_NOT_FOUND"
  | "TENURE_NOT_OFFERED"
  | "IDEMPOTENCY_KEY_REUSED"
  | "ORDER_ID_TAKEN"
  /** A renewal of a subscription that does not exist. */
  | "RENEWED_SUBSCRIPTION_NOT_FOUND"
  /** A renewal of a revoked subscription. */
  | "SUBSCRIPTION_REVOKED"
  /** A renewal for another product or customer than the subscription's. */
  | "RENEWAL_MISMATCH";

/** A submission that is refused; nothing was stored. */
export class OrderRejected extends Error {
  constructor(
    readonly reason: RejectionReason,
    message: string,
    readonly violations: readonly { field: string; description: string }[] = [],
  ) {
    super(message);
    this.name = "OrderRejected";
  }
}
