/**
 * The inbox's memory: every request that reached a webhook path, verified or
 * not, newest last. Pure: no I/O, so tests and the HTTP app share it.
 */

/** One webhook request as the inbox saw it. */
export interface InboxMessage {
  /** Arrival order, from 1; survives clear() so ids never repeat. */
  readonly seq: number;
  /** The `webhook-id` header (the same for every retry of one message). */
  readonly webhookId: string | null;
  /** The `webhook-timestamp` header (attempt time) as an ISO date, when it is a Unix time. */
  readonly timestamp: string | null;
  /** `type` from the body's Standard Webhooks envelope `{type, timestamp, data}`. */
  readonly type: string | null;
  /** `data.orderId` (or a top-level `orderId`) from the body. */
  readonly orderId: string | null;
  /** `data.status` (or a top-level `status`) from the body. */
  readonly status: string | null;
  /** The parsed JSON body, or the raw text when it is not JSON, or null when it was not read. */
  readonly body: unknown;
  /** The body exactly as received (what the signature covers), or null when it was not read. */
  readonly rawBody: string | null;
  /** The Standard Webhooks headers as received, so a receiver can verify the message itself. */
  readonly headers: Readonly<Record<string, string>>;
  /** True when the signature matched the inbox's secret. */
  readonly verified: boolean;
  readonly receivedAt: string;
  /** The request path, e.g. /webhooks/t2mobile. */
  readonly path: string;
  /** The HTTP status the inbox answered with. */
  readonly responseStatus: number;
  /** Why the request was rejected (signature, size); absent when accepted. */
  readonly error?: string;
}

export type NewInboxMessage = Omit<InboxMessage, "seq" | "type" | "orderId" | "status">;

export interface InboxFilter {
  readonly orderId?: string;
  readonly type?: string;
  readonly verified?: boolean;
}

export interface EnvelopeSummary {
  readonly type: string | null;
  readonly orderId: string | null;
  readonly status: string | null;
}

const asString = (value: unknown): string | null =>
  typeof value === "string" ? value : typeof value === "number" ? String(value) : null;

const asRecord = (value: unknown): Record<string, unknown> | null =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

/** Picks type, order id and status out of a webhook body, whatever its exact shape. */
export function summarise(body: unknown): EnvelopeSummary {
  const root = asRecord(body);
  if (!root) return { type: null, orderId: null, status: null };
  const data = asRecord(root.data) ?? {};
  return {
    type: asString(root.type) ?? asString(root.eventType) ?? asString(root.event),
    orderId: asString(data.orderId) ?? asString(data.order_id) ?? asString(root.orderId),
    status: asString(data.status) ?? asString(root.status),
  };
}

/** Parses JSON when it is JSON; otherwise keeps the text as it came. */
export function parseBody(text: string): unknown {
  if (text === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Converts a `webhook-timestamp` header (Unix seconds) to ISO; null when it is not one. */
export function headerTimestamp(value: string | undefined): string | null {
  if (value === undefined || !/^\d{1,12}$/.test(value.trim())) return null;
  return new Date(Number(value.trim()) * 1000).toISOString();
}

/** A bounded list of received messages; the oldest are dropped past `capacity`. */
export class InboxStore {
  private messages: InboxMessage[] = [];
  private nextSeq = 1;

  constructor(private readonly capacity = 1_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("capacity must be a positive integer");
  }

  add(message: NewInboxMessage): InboxMessage {
    const stored: InboxMessage = { seq: this.nextSeq++, ...summarise(message.body), ...message };
    this.messages.push(stored);
    if (this.messages.length > this.capacity) this.messages.splice(0, this.messages.length - this.capacity);
    return stored;
  }

  list(filter: InboxFilter = {}): InboxMessage[] {
    return this.messages.filter(
      (m) =>
        (filter.orderId === undefined || m.orderId === filter.orderId) &&
        (filter.type === undefined || m.type === filter.type) &&
        (filter.verified === undefined || m.verified === filter.verified),
    );
  }

  get size(): number {
    return this.messages.length;
  }

  /** Forgets every message; returns how many there were. */
  clear(): number {
    const count = this.messages.length;
    this.messages = [];
    return count;
  }
}
