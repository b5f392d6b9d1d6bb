import { BulkWriter, isDuplicateKeyError, type Database, type IndexDefinition } from "@t2m/platform";
import type { Collection } from "mongodb";
import type { AttemptRecord, UndeliveredEntry } from "../domain/attempt.js";
import type { EndpointHealth } from "../domain/endpoint-health.js";
import type { MessageStatus, WebhookMessage } from "../domain/message.js";

export const WEBHOOK_MESSAGES_COLLECTION = "webhook_messages";
export const WEBHOOK_UNDELIVERED_COLLECTION = "webhook_undelivered";
export const WEBHOOK_LOGS_COLLECTION = "webhook_logs";
export const WEBHOOK_ENDPOINTS_COLLECTION = "webhook_endpoints";
export const WEBHOOK_REJECTED_COLLECTION = "webhook_rejected_events";

/** An hour bucket such as "2026-11-27T10": listing by time is equality on buckets, which every store filters cheaply. */
export const hourOf = (date: Date): string => date.toISOString().slice(0, 13);

type MessageDocument = WebhookMessage & { _id: string; createdHour: string };
type UndeliveredDocument = UndeliveredEntry & { _id: string };
type AttemptDocument = AttemptRecord & { _id: string; hour: string };
type HealthDocument = EndpointHealth & { _id: string };

/** An outcome event the forgery guard refused (the event kept as JSON text). */
export interface RejectedEvent {
  readonly eventType: string;
  readonly orderId: string;
  readonly reason: string;
  readonly detail: string;
  readonly event: string;
  readonly rejectedAt: Date;
  readonly streamSequence: number;
}

const attemptId = (webhookId: string, attempt: number) => `${webhookId}#${attempt}`;

const strip = <T extends { _id: string }>(doc: T | null): Omit<T, "_id"> | undefined => {
  if (!doc) return undefined;
  const { _id, ...rest } = doc;
  return rest;
};

/**
 * Webhook state in MongoDB, in four collections:
 * - webhook_messages: every message ever registered (the history), by webhook id;
 * - webhook_undelivered: the working set, one entry per message not yet
 *   DELIVERED (dead ones included, so they keep later events of their order
 *   waiting); inserted on register, deleted on delivery. The sweep and the
 *   gauges read it whole, so their cost follows what is undelivered, never
 *   the history;
 * - webhook_logs: one document per attempt, `<webhookId>#<n>`; its insert is
 *   the attempt's claim;
 * - webhook_endpoints: each endpoint's health, one document per version.
 * Writes are group-committed (BulkWriter); every read the hot paths make is
 * by _id or a scalar equality.
 */
export class DeliveryStore {
  readonly messages: Collection<MessageDocument>;
  readonly undelivered: Collection<UndeliveredDocument>;
  readonly logs: Collection<AttemptDocument>;
  private readonly health: Collection<HealthDocument>;
  private readonly rejected: Collection<RejectedEvent>;
  private readonly messageWriter: BulkWriter<MessageDocument>;
  private readonly undeliveredWriter: BulkWriter<UndeliveredDocument>;
  private readonly logWriter: BulkWriter<AttemptDocument>;

  constructor(private readonly database: Database) {
    this.messages = database.collection(WEBHOOK_MESSAGES_COLLECTION);
    this.undelivered = database.collection(WEBHOOK_UNDELIVERED_COLLECTION);
    this.logs = database.collection(WEBHOOK_LOGS_COLLECTION);
    this.health = database.collection(WEBHOOK_ENDPOINTS_COLLECTION);
    this.rejected = database.collection(WEBHOOK_REJECTED_COLLECTION);
    this.messageWriter = new BulkWriter(this.messages);
    this.undeliveredWriter = new BulkWriter(this.undelivered);
    this.logWriter = new BulkWriter(this.logs);
  }

  static readonly indexes: Record<string, IndexDefinition[]> = {
    [WEBHOOK_MESSAGES_COLLECTION]: [
      { key: { orderId: 1 }, options: { name: "orderId" } },
      { key: { status: 1, createdHour: 1 }, options: { name: "status_createdHour" } },
    ],
    [WEBHOOK_UNDELIVERED_COLLECTION]: [{ key: { orderId: 1 }, options: { name: "orderId" } }],
    [WEBHOOK_LOGS_COLLECTION]: [
      { key: { orderId: 1 }, options: { name: "orderId" } },
      { key: { webhookId: 1 }, options: { name: "webhookId" } },
      { key: { hour: 1 }, options: { name: "hour" } },
    ],
    [WEBHOOK_ENDPOINTS_COLLECTION]: [{ key: { endpointId: 1, version: -1 }, options: { name: "endpointId_version" } }],
  };

  async ensureIndexes(): Promise<void> {
    for (const [collection, indexes] of Object.entries(DeliveryStore.indexes)) await this.database.ensureIndexes(collection, indexes);
  }

  // ---- messages

  /** Stores a new message and its working-set entry; when the id exists, returns the stored message instead. */
  async register(message: WebhookMessage, entry: UndeliveredEntry): Promise<{ message: WebhookMessage; created: boolean }> {
    // Both at once: when the message exists already (a redelivered event), the entry insert is a harmless
    // duplicate, or re-creates the entry of a delivered message, which the next attempt or sweep drops.
    const [outcome] = await Promise.all([
      this.messageWriter.insert({ _id: message.webhookId, createdHour: hourOf(message.createdAt), ...message }),
      this.undeliveredWriter.insert({ _id: entry.webhookId, ...entry }),
    ]);
    if (outcome === "ok") return { message, created: true };
    const stored = await this.findMessage(message.webhookId);
    if (!stored) throw new Error(`webhook ${message.webhookId} exists and cannot be read`);
    return { message: stored, created: false };
  }

  async findMessage(webhookId: string): Promise<WebhookMessage | undefined> {
    const doc = strip(await this.messages.findOne({ _id: webhookId }));
    if (!doc) return undefined;
    const { createdHour: _, ...message } = doc;
    return message;
  }

  /** Writes the message as its current holder made it. */
  async saveMessage(message: WebhookMessage): Promise<void> {
    await this.messageWriter.run({ replaceOne: { filter: { _id: message.webhookId }, replacement: { createdHour: hourOf(message.createdAt), ...message } as never } });
  }

  async messagesForOrder(orderId: string): Promise<WebhookMessage[]> {
    const docs = await this.messages.find({ orderId }).toArray();
    return docs.map(({ _id, createdHour, ...m }) => m).sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** Messages of one status created within [from, to), by hour bucket (equality), oldest first; at most `limit` + 1. */
  async messagesByStatusAndTime(status: MessageStatus, from: Date, to: Date, limit: number): Promise<WebhookMessage[]> {
    const out: WebhookMessage[] = [];
    for (let hour = Date.parse(`${hourOf(from)}:00:00Z`); hour < to.getTime() && out.length <= limit; hour += 3_600_000) {
      const docs = await this.messages.find({ status, createdHour: hourOf(new Date(hour)) }).toArray();
      for (const { _id, createdHour, ...m } of docs.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())) {
        if (m.createdAt >= from && m.createdAt < to) out.push(m);
      }
    }
    return out;
  }

  // ---- the working set

  async putEntry(entry: UndeliveredEntry): Promise<void> {
    await this.undeliveredWriter.run({ replaceOne: { filter: { _id: entry.webhookId }, replacement: entry as never, upsert: true } });
  }

  async deleteEntry(webhookId: string): Promise<void> {
    await this.undeliveredWriter.run({ deleteOne: { filter: { _id: webhookId } } });
  }

  async findEntry(webhookId: string): Promise<UndeliveredEntry | undefined> {
    return strip(await this.undelivered.findOne({ _id: webhookId }));
  }

  /** The whole working set (small: what is not delivered yet). */
  async allEntries(): Promise<UndeliveredEntry[]> {
    return (await this.undelivered.find({}).toArray()).map(({ _id, ...e }) => e);
  }

  async entriesForOrder(orderId: string): Promise<UndeliveredEntry[]> {
    return (await this.undelivered.find({ orderId }).toArray()).map(({ _id, ...e }) => e);
  }

  // ---- attempts

  /** Claims attempt `record.attemptNumber`; false when someone else claimed it first. */
  async claim(record: AttemptRecord): Promise<boolean> {
    const outcome = await this.logWriter.insert({ _id: attemptId(record.webhookId, record.attemptNumber), hour: hourOf(record.claimedAt), ...record });
    return outcome === "ok";
  }

  /** Records the claimed attempt's result (its claimant is the only writer). */
  async record(record: AttemptRecord): Promise<void> {
    await this.logWriter.run({
      replaceOne: { filter: { _id: attemptId(record.webhookId, record.attemptNumber) }, replacement: { hour: hourOf(record.claimedAt), ...record } as never },
    });
  }

  async findAttempt(webhookId: string, attempt: number): Promise<AttemptRecord | undefined> {
    const doc = strip(await this.logs.findOne({ _id: attemptId(webhookId, attempt) }));
    if (!doc) return undefined;
    const { hour: _, ...record } = doc;
    return record;
  }

  private static order(records: AttemptRecord[]): AttemptRecord[] {
    return records.sort((a, b) => a.claimedAt.getTime() - b.claimedAt.getTime() || a.attemptNumber - b.attemptNumber);
  }

  async attemptsForOrder(orderId: string): Promise<AttemptRecord[]> {
    return DeliveryStore.order((await this.logs.find({ orderId }).toArray()).map(({ _id, hour, ...a }) => a));
  }

  async attemptsForWebhook(webhookId: string): Promise<AttemptRecord[]> {
    return DeliveryStore.order((await this.logs.find({ webhookId }).toArray()).map(({ _id, hour, ...a }) => a));
  }

  /** Attempts claimed within [from, to), hour bucket by hour bucket, oldest first; stops past `limit`. */
  async attemptsByTime(from: Date, to: Date, limit: number): Promise<AttemptRecord[]> {
    const out: AttemptRecord[] = [];
    for (let hour = Date.parse(`${hourOf(from)}:00:00Z`); hour < to.getTime() && out.length <= limit; hour += 3_600_000) {
      const docs = (await this.logs.find({ hour: hourOf(new Date(hour)) }).toArray()).map(({ _id, hour: _h, ...a }) => a);
      out.push(...DeliveryStore.order(docs).filter((a) => a.claimedAt >= from && a.claimedAt < to));
    }
    return out;
  }

  // ---- endpoint health

  async latestHealth(endpointId: string): Promise<EndpointHealth | undefined> {
    const [doc] = await this.health.find({ endpointId }).sort({ version: -1 }).limit(1).toArray();
    return strip(doc ?? null);
  }

  /** Claims version `health.version`; false when another change took it first. */
  async claimHealth(health: EndpointHealth): Promise<boolean> {
    try {
      await this.health.insertOne({ _id: `${health.endpointId}#${health.version}`, ...health });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  // ---- the forgery guard's refusals

  async recordRejected(event: RejectedEvent): Promise<void> {
    await this.rejected.insertOne({ ...event });
  }

  async rejectedForOrder(orderId: string): Promise<RejectedEvent[]> {
    return (await this.rejected.find({ orderId }).toArray()).map(({ _id, ...e }) => e as RejectedEvent);
  }
}
