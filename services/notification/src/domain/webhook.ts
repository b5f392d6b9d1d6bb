import { createHash } from "node:crypto";
import { partnerOfPlatformOrderId } from "@t2m/topology";

export type OrderEventType = "ORDER_FULFILLED" | "ORDER_FAILED";
export type SubscriptionEventType = "SUBSCRIPTION_RENEWED" | "SUBSCRIPTION_REVOKED" | "SUBSCRIPTION_EXPIRED" | "EXPIRY_REMINDER";
export type WebhookEventType = OrderEventType | SubscriptionEventType;

/** The body T2Mobile receives: the Standard Webhooks envelope. Absent values are null so a type's shape never varies. */
export interface WebhookPayload {
  readonly type: WebhookEventType;
  /** When the event happened (not when this attempt was made: that is the webhook-timestamp header). */
  readonly timestamp: string;
  readonly data: Readonly<Record<string, string | number | null>>;
}

/** An order outcome as the notification service learns it from the stream. */
export interface OrderOutcome {
  readonly type: OrderEventType;
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
  /** For a renewal order: the subscription it renews (its original order's id). */
  readonly renewsSubscriptionId?: string;
  /** The partner whose order it is (from the stored order); "t2mobile" when unset. */
  readonly partnerId?: string;
  /** The order id as the partner knows it; orderId when unset. */
  readonly partnerOrderId?: string;
}

interface SubscriptionEventBase {
  /** The subscription's id: the id of the order that created it. Its webhooks are ordered with that order's. */
  readonly subscriptionId: string;
  readonly activationReference: string;
  readonly productId: string;
  readonly tenure: string;
  readonly customerId: string;
  /** The subscription change's number (for a reminder: the version it was computed from). */
  readonly version: number;
  readonly expiryDate: Date;
  readonly occurredAt: Date;
}

/** A subscription event as the notification service learns it from the SUBSCRIPTIONS stream. */
export type SubscriptionEvent =
  | (SubscriptionEventBase & { readonly type: "SUBSCRIPTION_RENEWED"; readonly renewalOrderId: string; readonly zohoSalesOrderId: string; readonly previousExpiryDate?: Date; readonly periodStart: Date })
  | (SubscriptionEventBase & { readonly type: "SUBSCRIPTION_REVOKED"; readonly reason: string })
  | (SubscriptionEventBase & { readonly type: "SUBSCRIPTION_EXPIRED" })
  | (SubscriptionEventBase & {
      readonly type: "EXPIRY_REMINDER";
      readonly thresholdDays: number;
      readonly daysUntilExpiry: number;
      readonly customerEmail: string;
      /** The renewal price in minor units; undefined when the catalogue no longer offers the tenure. */
      readonly amount?: { readonly currencyCode: string; readonly amountMinor: bigint };
    });

/** What the engine registers: one message per (type, key), ordered with the other messages of `orderId`. */
export interface WebhookEvent {
  readonly type: WebhookEventType;
  /** The order the message belongs to (a subscription's: its first order), for ordering and listing. */
  readonly orderId: string;
  /** What makes the event unique within its type (an order id; a subscription's version; a reminder's period end and threshold). */
  readonly key: string;
  readonly payload: WebhookPayload;
  readonly occurredAt: Date;
  /** The partner it goes to ("t2mobile" when unset). */
  readonly partnerId?: string;
}

const orNull = (value: string | undefined) => (value ? value : null);
const iso = (date: Date | undefined) => (date ? date.toISOString() : null);

/** Minor units as a decimal string, exactly: 21600000n → "216000.00". */
export function decimalAmount(amountMinor: bigint): string {
  const negative = amountMinor < 0n;
  const abs = negative ? -amountMinor : amountMinor;
  return `${negative ? "-" : ""}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
}

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
      expiryDate: iso(outcome.expiryDate),
      ...(fulfilled
        ? {}
        : { failureCode: outcome.failureCode || "INTERNAL_ERROR", failureReason: outcome.reason || "order failed", error: outcome.reason || "order failed" }),
      // Only a renewal order carries it, so other orders' bodies keep their shape.
      ...(outcome.renewsSubscriptionId ? { renewsOrderId: outcome.renewsSubscriptionId } : {}),
    },
  };
}

export function buildSubscriptionPayload(event: SubscriptionEvent): WebhookPayload {
  const common = {
    // The partner's own id of the subscription's first order.
    orderId: partnerOfPlatformOrderId(event.subscriptionId).partnerOrderId,
    activationReference: event.activationReference,
    productId: event.productId,
    tenure: event.tenure,
    customerId: event.customerId,
  };
  const timestamp = event.occurredAt.toISOString();
  switch (event.type) {
    case "SUBSCRIPTION_RENEWED":
      return {
        type: event.type,
        timestamp,
        data: {
          ...common,
          status: "ACTIVE",
          renewalOrderId: event.renewalOrderId,
          zohoSalesOrderId: orNull(event.zohoSalesOrderId),
          previousExpiryDate: iso(event.previousExpiryDate),
          periodStart: event.periodStart.toISOString(),
          expiryDate: event.expiryDate.toISOString(),
        },
      };
    case "SUBSCRIPTION_REVOKED":
      return { type: event.type, timestamp, data: { ...common, status: "REVOKED", reason: event.reason, expiryDate: event.expiryDate.toISOString(), revokedAt: timestamp } };
    case "SUBSCRIPTION_EXPIRED":
      return { type: event.type, timestamp, data: { ...common, status: "EXPIRED", expiryDate: event.expiryDate.toISOString(), expiredAt: timestamp } };
    case "EXPIRY_REMINDER":
      return {
        type: event.type,
        timestamp,
        data: {
          ...common,
          status: "ACTIVE",
          customerEmail: event.customerEmail,
          daysUntilExpiry: event.daysUntilExpiry,
          thresholdDays: event.thresholdDays,
          expiryDate: event.expiryDate.toISOString(),
          // The renewal price of the tenure, as the REST API writes amounts.
          amount: event.amount ? decimalAmount(event.amount.amountMinor) : null,
          currency: event.amount ? event.amount.currencyCode : null,
        },
      };
  }
}

/** The message an order outcome becomes: keyed by its order (the webhook ids of order outcomes never changed). */
export function orderWebhookEvent(outcome: OrderOutcome): WebhookEvent {
  return {
    type: outcome.type,
    orderId: outcome.orderId,
    key: outcome.orderId,
    payload: buildPayload(outcome),
    occurredAt: outcome.occurredAt,
    ...(outcome.partnerId ? { partnerId: outcome.partnerId } : {}),
  };
}

/** The message a subscription event becomes: ordered with its subscription's first order. */
export function subscriptionWebhookEvent(event: SubscriptionEvent): WebhookEvent {
  const key =
    event.type === "EXPIRY_REMINDER" ? `${event.subscriptionId}:${event.expiryDate.toISOString()}:${event.thresholdDays}d` : `${event.subscriptionId}:v${event.version}`;
  // The subscription's id is its first order's platform id, which names the partner.
  const { partnerId } = partnerOfPlatformOrderId(event.subscriptionId);
  return { type: event.type, orderId: event.subscriptionId, key, payload: buildSubscriptionPayload(event), occurredAt: event.occurredAt, partnerId };
}

/**
 * The Standard Webhooks message id: one per event type and key (an order
 * outcome's key is its order id), identical on every retry, redelivery and
 * replay, so T2Mobile can deduplicate on it.
 */
export function webhookId(type: WebhookEventType, key: string): string {
  const digest = createHash("sha256").update(`${type}:${key}`).digest("base64url");
  return `msg_${digest.slice(0, 27)}`;
}
