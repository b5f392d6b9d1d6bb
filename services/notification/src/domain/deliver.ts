import { decideAfterAttempt, type AttemptResult } from "./retry-policy.js";
import { buildPayload, webhookId, type OrderOutcome, type WebhookEventType } from "./webhook.js";

export type MessageStatus = "PENDING" | "DELIVERED" | "FAILED";

/** One webhook message: the same id and body on every attempt. */
export interface WebhookMessage {
  readonly webhookId: string;
  readonly eventType: WebhookEventType;
  readonly orderId: string;
  /** The exact JSON body that is signed and sent. */
  readonly payload: string;
  readonly status: MessageStatus;
  readonly attempts: number;
  readonly createdAt: Date;
}

/** The record of one attempt (the webhook_logs collection). */
export interface DeliveryAttemptRecord {
  readonly webhookId: string;
  readonly eventType: WebhookEventType;
  readonly orderId: string;
  readonly attemptNumber: number;
  readonly payload: string;
  readonly httpStatus: number;
  readonly durationMs: number;
  readonly error: string | null;
  readonly succeeded: boolean;
  readonly attemptedAt: Date;
  readonly nextRetryAt: Date | null;
}

export interface SendResult extends AttemptResult {
  readonly durationMs: number;
  /** Why the attempt failed; undefined on a 2xx. */
  readonly error?: string;
}

export interface DeliveryPorts {
  /** Stores the message unless it exists; returns the stored one either way. */
  register(message: WebhookMessage): Promise<WebhookMessage>;
  send(message: WebhookMessage, attemptNumber: number): Promise<SendResult>;
  /** Appends the attempt and moves the message to its new status in one step each. */
  record(attempt: DeliveryAttemptRecord, status: MessageStatus): Promise<void>;
  now(): Date;
}

export type DeliveryResult =
  | { readonly kind: "delivered" | "already-finished" | "gave-up"; readonly webhookId: string }
  | { readonly kind: "retry"; readonly webhookId: string; readonly delayMs: number };

/**
 * Makes the next attempt to deliver an outcome. Redeliveries of the same
 * event find the stored message: a delivered or failed message is not sent
 * again, and a pending one continues its attempt count.
 */
export async function deliverOutcome(
  outcome: OrderOutcome,
  schedule: readonly number[],
  ports: DeliveryPorts,
): Promise<DeliveryResult> {
  const id = webhookId(outcome.type, outcome.orderId);
  const message = await ports.register({
    webhookId: id,
    eventType: outcome.type,
    orderId: outcome.orderId,
    payload: JSON.stringify(buildPayload(outcome)),
    status: "PENDING",
    attempts: 0,
    createdAt: ports.now(),
  });
  if (message.status !== "PENDING") return { kind: "already-finished", webhookId: id };

  const attemptNumber = message.attempts + 1;
  const attemptedAt = ports.now();
  const result = await ports.send(message, attemptNumber);
  const decision = decideAfterAttempt(attemptNumber, result, schedule);
  const nextRetryAt = decision.kind === "retry" ? new Date(attemptedAt.getTime() + decision.delayMs) : null;
  await ports.record(
    {
      webhookId: id,
      eventType: message.eventType,
      orderId: message.orderId,
      attemptNumber,
      payload: message.payload,
      httpStatus: result.status ?? 0,
      durationMs: result.durationMs,
      error: decision.kind === "delivered" ? null : (result.error ?? `HTTP ${result.status}`),
      succeeded: decision.kind === "delivered",
      attemptedAt,
      nextRetryAt,
    },
    decision.kind === "delivered" ? "DELIVERED" : decision.kind === "retry" ? "PENDING" : "FAILED",
  );
  if (decision.kind === "retry") return { kind: "retry", webhookId: id, delayMs: decision.delayMs };
  return { kind: decision.kind === "delivered" ? "delivered" : "gave-up", webhookId: id };
}
