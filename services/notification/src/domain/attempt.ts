import { attemptInChain, dead, delivered, retrying, startAttempt, type MessageStatus, type WebhookMessage } from "./message.js";
import { decideAfterAttempt, type AttemptDecision, type RetrySchedule } from "./retry-policy.js";
import type { WebhookEventType } from "./webhook.js";

export type AttemptOutcome = "IN_FLIGHT" | "DELIVERED" | "FAILED" | "NOT_SENT";

/**
 * One attempt (the webhook_logs collection). Its insert is the claim: the
 * `_id` `<webhookId>#<attemptNumber>` is unique, so only one worker ever
 * sends attempt n of a message, on MongoDB and FerretDB alike. The claimant
 * then records the result on the same document, and is the only writer of
 * the message (and its working-set entry) until then.
 */
export interface AttemptRecord {
  readonly webhookId: string;
  readonly eventType: WebhookEventType;
  readonly orderId: string;
  readonly endpointId: string;
  /** Counts every attempt of the message, across replays (1-based). */
  readonly attemptNumber: number;
  /** 0 for the first chain, n for the n-th replay. */
  readonly replay: number;
  /** The exact body signed and sent. */
  readonly payload: string;
  readonly claimedAt: Date;
  /** Until when the claimant holds the message; after that a sweep takes over. */
  readonly leaseUntil: Date;
  readonly outcome: AttemptOutcome;
  /** When the request was sent (the claim time for one that was not sent). */
  readonly attemptedAt: Date;
  readonly recordedAt?: Date;
  /** HTTP status of the answer; 0 when none came. */
  readonly httpStatus: number;
  readonly durationMs: number;
  /** The HTTP status or the network error; null when delivered. */
  readonly error: string | null;
  /** The receiver's answer, at most 20 KB. */
  readonly responseBody: string;
  readonly responseTruncated: boolean;
  readonly succeeded: boolean;
  readonly nextRetryAt: Date | null;
  /** Why the message died with this attempt. */
  readonly deadReason?: string;
}

/** What one send came to (the sender's report). */
export interface SendResult {
  readonly status?: number;
  readonly retryAfterSeconds?: number;
  readonly timedOut?: boolean;
  readonly durationMs: number;
  /** Why it failed; undefined on a 2xx. */
  readonly error?: string;
  readonly responseBody: string;
  readonly responseTruncated: boolean;
}

/** The claim document for attempt `attemptNumber`, before anything is sent. */
export function claimOf(message: WebhookMessage, attemptNumber: number, now: Date, leaseMs: number): AttemptRecord {
  return {
    webhookId: message.webhookId,
    eventType: message.eventType,
    orderId: message.orderId,
    endpointId: message.endpointId,
    attemptNumber,
    replay: message.replays,
    payload: message.payload,
    claimedAt: now,
    leaseUntil: new Date(now.getTime() + leaseMs),
    outcome: "IN_FLIGHT",
    attemptedAt: now,
    httpStatus: 0,
    durationMs: 0,
    error: null,
    responseBody: "",
    responseTruncated: false,
    succeeded: false,
    nextRetryAt: null,
  };
}

/** The claim completed with what the receiver answered and what follows. */
export function recordSent(claim: AttemptRecord, message: WebhookMessage, result: SendResult, schedule: RetrySchedule, at: Date, random: () => number): { record: AttemptRecord; decision: AttemptDecision } {
  const decision = decideAfterAttempt(attemptInChain(message, claim.attemptNumber), result, message.eventType, schedule, random);
  const record: AttemptRecord = {
    ...claim,
    outcome: decision.kind === "delivered" ? "DELIVERED" : "FAILED",
    recordedAt: at,
    httpStatus: result.status ?? 0,
    durationMs: result.durationMs,
    error: decision.kind === "delivered" ? null : (result.error ?? `HTTP ${result.status}`),
    responseBody: result.responseBody,
    responseTruncated: result.responseTruncated,
    succeeded: decision.kind === "delivered",
    nextRetryAt: decision.kind === "retry" ? new Date(claim.attemptedAt.getTime() + result.durationMs + decision.delayMs) : null,
    ...(decision.kind === "dead" ? { deadReason: decision.reason } : {}),
  };
  return { record, decision };
}

/** The claim completed without sending: the endpoint is disabled. */
export function recordNotSent(claim: AttemptRecord, reason: string, at: Date): AttemptRecord {
  return { ...claim, outcome: "NOT_SENT", recordedAt: at, error: `not sent: ${reason}`, deadReason: reason };
}

/**
 * A message not yet delivered, as kept in the working set
 * (webhook_undelivered): the message itself, plus the number of the attempt
 * to claim next and when it is due (null for a dead message).
 */
export type UndeliveredEntry = WebhookMessage & {
  readonly status: Exclude<MessageStatus, "DELIVERED">;
  readonly nextAttempt: number;
  readonly dueAt: Date | null;
};

export function entryOf(message: WebhookMessage): UndeliveredEntry | undefined {
  if (message.status === "DELIVERED") return undefined;
  return {
    ...message,
    status: message.status,
    // While an attempt is in flight, the next to claim is that one: claiming it fails (busy) until its lease runs out.
    nextAttempt: message.status === "DELIVERING" ? message.attempts : message.attempts + 1,
    dueAt: message.status === "DEAD" ? null : (message.nextAttemptAt ?? message.updatedAt),
  };
}

/** The message of a working-set entry. */
export function messageOf(entry: UndeliveredEntry): WebhookMessage {
  const { nextAttempt: _n, dueAt: _d, ...message } = entry;
  return message;
}

/**
 * The message after a recorded attempt. The log is the source of truth: the
 * attempt's holder applies this right after recording, and a sweep applies
 * the same (idempotently) when the holder stopped in between.
 */
export function applyRecorded(message: WebhookMessage, record: AttemptRecord): WebhookMessage {
  if (record.outcome === "IN_FLIGHT") throw new Error(`attempt ${record.attemptNumber} of ${record.webhookId} is not recorded yet`);
  if (message.attempts > record.attemptNumber) return message;
  let m = message.attempts < record.attemptNumber ? startAttempt(message, record.attemptNumber, record.claimedAt) : message;
  // Already applied (DELIVERED, RETRYING, DEAD after this attempt).
  if (m.status !== "DELIVERING") return m;
  const at = record.recordedAt ?? record.attemptedAt;
  switch (record.outcome) {
    case "DELIVERED":
      return delivered(m, record.httpStatus, at);
    case "NOT_SENT":
      return dead(m, record.deadReason ?? "not sent", at, { error: record.error ?? "not sent", httpStatus: 0 });
    case "FAILED":
      if (record.nextRetryAt) return retrying(m, record.error ?? "failed", record.httpStatus, record.nextRetryAt, at);
      m = dead(m, record.deadReason ?? "retries exhausted", at, { error: record.error ?? "failed", httpStatus: record.httpStatus });
      return m;
  }
}

/** How an attempt shows in the log: an unrecorded claim whose lease ran out was abandoned. */
export function displayedOutcome(record: AttemptRecord, now: Date): AttemptOutcome | "ABANDONED" {
  return record.outcome === "IN_FLIGHT" && record.leaseUntil.getTime() < now.getTime() ? "ABANDONED" : record.outcome;
}
