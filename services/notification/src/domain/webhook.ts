import { createHash } from "node:crypto";

export type WebhookEventType = "ORDER_FULFILLED" | "ORDER_FAILED";

/** The body T2Mobile receives. Absent values are null so the shape never varies. */
export interface WebhookPayload {
  readonly type: WebhookEventType;
  /** When the event happened (not when this attempt was made: that is the webhook-timestamp header). */
  readonly timestamp: string;
  readonly data: {
    readonly orderId: string;
    readonly status: "FULFILLED" | "FAILED";
    readonly productId: string;
    readonly tenure: string;
    readonly customerId: string;
    readonly zohoSalesOrderId: string | null;
    readonly activationReference: string | null;
    readonly expiryDate: string | null;
    /** ORDER_FAILED only: the documented failure code and its message. */
    readonly failureCode?: string;
    readonly failureReason?: string;
    /** ORDER_FAILED only: the same message, under the seed's field name. */
    readonly error?: string;
  };
}

/** An order outcome as the notification service learns it from the stream. */
export interface OrderOutcome {
  readonly type: WebhookEventType;
  readonly orderId: string;
  readonly productId: string;
  readonly tenure: string;
  readonly customerId: string;
  readonly zohoSalesOrderId: string;
  readonly activationReference: string;
  readonly expiryDate?: Date;
  readonly occurredAt: Date;
  readonly reason?: string;
  readonly failureCode?: string;
  /** The partner whose order it is (from the stored order); "t2mobile" when unset. */
  readonly partnerId?: string;
  /** The order id as the partner knows it; orderId when unset. */
  readonly partnerOrderId?: string;
}

const orNull = (value: string | undefined) => (value ? value : null);

export function buildPayload(outcome: OrderOutcome): WebhookPayload {
  const fulfilled = outcome.type === "ORDER_FULFILLED";
  return {
    type: outcome.type,
    timestamp: outcome.occurredAt.toISOString(),
    data: {
      // The partner's own id: the platform's id is "<partner>~<id>" for partners other than T2Mobile.
      orderId: outcome.partnerOrderId || outcome.orderId,
      status: fulfilled ? "FULFILLED" : "FAILED",
      productId: outcome.productId,
      tenure: outcome.tenure,
      customerId: outcome.customerId,
      zohoSalesOrderId: orNull(outcome.zohoSalesOrderId),
      activationReference: orNull(outcome.activationReference),
      expiryDate: outcome.expiryDate ? outcome.expiryDate.toISOString() : null,
      ...(fulfilled
        ? {}
        : { failureCode: outcome.failureCode || "INTERNAL_ERROR", failureReason: outcome.reason || "order failed", error: outcome.reason || "order failed" }),
    },
  };
}

/**
 * The Standard Webhooks message id: one per event and order, identical on
 * every retry and redelivery, so T2Mobile can deduplicate on it.
 */
export function webhookId(type: WebhookEventType, orderId: string): string {
  const digest = createHash("sha256").update(`${type}:${orderId}`).digest("base64url");
  return `msg_${digest.slice(0, 27)}`;
}
