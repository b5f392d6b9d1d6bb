import type { OrderSubmission } from "./submission.js";

export type OrderStatus = "PENDING" | "PROCESSING" | "FULFILLED" | "FAILED";

/** An accepted order and everything done for it so far. */
export interface OrderRecord {
  readonly orderId: string;
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
  readonly zohoSalesOrderId?: string;
  readonly zohoSalesOrderNumber?: string;
  readonly zohoCustomerId?: string;
  readonly activationReference?: string;
  readonly expiryDate?: Date;
  readonly failureReason?: string;
  /** Times a worker has started on the order. */
  readonly processingAttempts: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly fulfilledAt?: Date;
  readonly failedAt?: Date;
  /** Set once OrderSubmitted is stored in the stream; unset means the relay must publish it. */
  readonly submittedPublishedAt?: Date;
  /** Set once OrderFulfilled/OrderFailed is stored in the stream. */
  readonly outcomePublishedAt?: Date;
}

export const isFinal = (status: OrderStatus): boolean => status === "FULFILLED" || status === "FAILED";

/** What the catalogue says about the product and tenure ordered. */
export interface CatalogueOffer {
  readonly productId: string;
  readonly productName: string;
  readonly zohoItemSku: string;
  readonly tenure: string;
  readonly months: number;
  readonly price: { readonly currencyCode: string; readonly amountMinor: number };
}

export type RejectionReason =
  | "INVALID_ORDER"
  | "PRODUCT_NOT_FOUND"
  | "TENURE_NOT_OFFERED"
  | "IDEMPOTENCY_KEY_REUSED"
  | "ORDER_ID_TAKEN";

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
