import type { WebhookEventType } from "./webhook.js";

/**
 * A webhook message's statuses and the only moves between them.
 *
 *   PENDING ──► DELIVERING ──► DELIVERED     (DELIVERING ──► DELIVERING: taking over an abandoned attempt)
 *      │           │   ▲
 *      │           ▼   │
 *      │        RETRYING ─────► DEAD ──(replay)──► PENDING
 *      └───────────┴────────────► DEAD
 *
 * A move happens only in the hands of the worker that claimed the message's
 * current attempt (see the attempt claims in webhook_logs), so no two
 * writers race on one message and nothing moves backwards.
 */
export const MESSAGE_STATUSES = ["PENDING", "DELIVERING", "RETRYING", "DELIVERED", "DEAD"] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

const ALLOWED: Readonly<Record<MessageStatus, readonly MessageStatus[]>> = {
  PENDING: ["DELIVERING", "DEAD"],
  // DELIVERING → DELIVERING: a later attempt takes over from one whose holder stopped (its lease ran out).
  DELIVERING: ["DELIVERING", "DELIVERED", "RETRYING", "DEAD"],
  RETRYING: ["DELIVERING", "DEAD"],
  DELIVERED: [],
  // Only a replay, which starts a new attempt chain.
  DEAD: ["PENDING"],
};

export const canMove = (from: MessageStatus, to: MessageStatus): boolean => ALLOWED[from].includes(to);

export class InvalidMove extends Error {
  constructor(
    readonly webhookId: string,
    readonly from: MessageStatus,
    readonly to: MessageStatus,
  ) {
    super(`webhook ${webhookId} cannot move from ${from} to ${to}`);
    this.name = "InvalidMove";
  }
}

/** One webhook message: the same id and body on every attempt and every replay. */
export interface WebhookMessage {
  readonly webhookId: string;
  readonly eventType: WebhookEventType;
  readonly orderId: string;
  /** Which receiver it goes to (EndpointDirectory); "t2mobile" until partners have their own. */
  readonly endpointId: string;
  /** The exact JSON body that is signed and sent. */
  readonly payload: string;
  /** When the event happened: a later event of the same order is never delivered before an earlier one. */
  readonly occurredAt: Date;
  readonly status: MessageStatus;
  /** Attempts claimed so far, across every chain. */
  readonly attempts: number;
  /** 0 for the first chain, n after the n-th replay. */
  readonly replays: number;
  /** The attempt number the current chain started at (1 for the first chain). */
  readonly chainStart: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** When the next attempt is due (PENDING, RETRYING). */
  readonly nextAttemptAt?: Date;
  readonly lastError?: string;
  readonly lastHttpStatus?: number;
  readonly deliveredAt?: Date;
  readonly deadAt?: Date;
  readonly deadReason?: string;
}

function move(message: WebhookMessage, to: MessageStatus, at: Date, changes: Partial<WebhookMessage>): WebhookMessage {
  if (!canMove(message.status, to)) throw new InvalidMove(message.webhookId, message.status, to);
  return { ...message, ...changes, status: to, updatedAt: at };
}

export function newMessage(fields: Pick<WebhookMessage, "webhookId" | "eventType" | "orderId" | "endpointId" | "payload" | "occurredAt">, at: Date): WebhookMessage {
  return { ...fields, status: "PENDING", attempts: 0, replays: 0, chainStart: 1, createdAt: at, updatedAt: at, nextAttemptAt: at };
}

/** Attempt number `attempt` was claimed and is about to be sent. */
export function startAttempt(message: WebhookMessage, attempt: number, at: Date): WebhookMessage {
  if (attempt <= message.attempts) throw new Error(`webhook ${message.webhookId} already had attempt ${attempt}`);
  const { nextAttemptAt: _, ...rest } = message;
  return move(rest, "DELIVERING", at, { attempts: attempt });
}

export function delivered(message: WebhookMessage, httpStatus: number, at: Date): WebhookMessage {
  const { nextAttemptAt: _n, lastError: _e, ...rest } = message;
  return move(rest, "DELIVERED", at, { lastHttpStatus: httpStatus, deliveredAt: at });
}

export function retrying(message: WebhookMessage, error: string, httpStatus: number, dueAt: Date, at: Date): WebhookMessage {
  return move(message, "RETRYING", at, { lastError: error, lastHttpStatus: httpStatus, nextAttemptAt: dueAt });
}

export function dead(message: WebhookMessage, reason: string, at: Date, last?: { error: string; httpStatus: number }): WebhookMessage {
  const { nextAttemptAt: _, ...rest } = message;
  return move(rest, "DEAD", at, { deadAt: at, deadReason: reason, ...(last ? { lastError: last.error, lastHttpStatus: last.httpStatus } : {}) });
}

/** A replay: a new attempt chain, the same webhook id and body; its first attempt is due at once. */
export function replay(message: WebhookMessage, at: Date): WebhookMessage {
  const { deadAt: _d, deadReason: _r, ...rest } = message;
  return move(rest, "PENDING", at, { replays: message.replays + 1, chainStart: message.attempts + 1, nextAttemptAt: at });
}

export const isFinal = (status: MessageStatus): boolean => status === "DELIVERED";

/** The position of attempt `attempt` in the message's current chain (1-based), which the schedule is indexed by. */
export const attemptInChain = (message: Pick<WebhookMessage, "chainStart">, attempt: number): number => attempt - message.chainStart + 1;
