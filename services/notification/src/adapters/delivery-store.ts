import { BulkWriter, type Database, type IndexDefinition } from "@t2m/platform";
import type { Collection } from "mongodb";
import { entryOf, messageOf, type AttemptRecord, type UndeliveredEntry } from "../domain/attempt.js";
import type { EndpointHealth } from "../domain/endpoint-health.js";
import type { MessageStatus, WebhookMessage } from "../domain/message.js";

export const WEBHOOK_IDS_COLLECTION = "webhook_ids";
export const WEBHOOK_UNDELIVERED_COLLECTION = "webhook_undelivered";
export const WEBHOOK_MESSAGES_COLLECTION = "webhook_messages";
export const WEBHOOK_CLAIMS_COLLECTION = "webhook_claims";
export const WEBHOOK_LOGS_COLLECTION = "webhook_logs";
export const WEBHOOK_ENDPOINTS_COLLECTION = "webhook_endpoints";
export const WEBHOOK_REJECTED_COLLECTION = "webhook_rejected_events";

/** An hour bucket such as "2026-11-27T10": listing by time is equality on buckets, which every store filters cheaply. */
export const hourOf = (date: Date): string => date.toISOString().slice(0, 13);

/** The claim of one attempt (webhook_claims); the attempt's full record follows in webhook_logs. */
export type AttemptClaim = Pick<AttemptRecord, "webhookId" | "eventType" | "orderId" | "endpointId" | "attemptNumber" | "replay" | "claimedAt" | "leaseUntil">;

type IdDocument = { _id: string; orderId: string; createdAt: Date };
type UndeliveredDocument = UndeliveredEntry & { _id: string };
type MessageDocument = WebhookMessage & { _id: string; createdHour: string };
type ClaimDocument = AttemptClaim & { _id: string; hour: string };
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

const byTime = (a: AttemptRecord, b: AttemptRecord) => a.claimedAt.getTime() - b.claimedAt.getTime() || a.attemptNumber - b.attemptNumber;

/**
 * Webhook state in MongoDB. FerretDB's PostgreSQL backend uses no index for
 * any read (an `_id` lookup is a sequential scan of the collection), so
 * every collection that grows with history is written by inserts only, and
 * everything a delivery reads or rewrites lives in one small collection:
 * - webhook_undelivered: the working set, each message not yet DELIVERED
 *   (dead ones included, so they hold later events of their order back),
 *   whole; inserted on register, rewritten by the holder of its current
 *   attempt, deleted on delivery. The sweep and the gauges read it whole.
 * - webhook_ids: one insert per message ever registered; its unique _id
 *   makes registering idempotent for good.
 * - webhook_claims: one insert per attempt, `<webhookId>#<n>`; the insert
 *   is the attempt's claim (atomic on MongoDB and FerretDB alike).
 * - webhook_logs: one insert per attempt once it is recorded (the attempt log).
 * - webhook_messages: delivered messages, inserted once on delivery (the history).
 * - webhook_endpoints: each endpoint's health, one insert per version.
 * Writes are group-committed (BulkWriter).
 */
export class DeliveryStore {
  readonly ids: Collection<IdDocument>;
  readonly undelivered: Collection<UndeliveredDocument>;
  readonly messages: Collection<MessageDocument>;
  readonly claims: Collection<ClaimDocument>;
  readonly logs: Collection<AttemptDocument>;
  private readonly health: Collection<HealthDocument>;
  private readonly rejected: Collection<RejectedEvent>;
  private readonly idWriter: BulkWriter<IdDocument>;
  private readonly undeliveredWriter: BulkWriter<UndeliveredDocument>;
  private readonly messageWriter: BulkWriter<MessageDocument>;
  private readonly claimWriter: BulkWriter<ClaimDocument>;
  private readonly logWriter: BulkWriter<AttemptDocument>;

  constructor(private readonly database: Database) {
    this.ids = database.collection(WEBHOOK_IDS_COLLECTION);
    this.undelivered = database.collection(WEBHOOK_UNDELIVERED_COLLECTION);
    this.messages = database.collection(WEBHOOK_MESSAGES_COLLECTION);
    this.claims = database.collection(WEBHOOK_CLAIMS_COLLECTION);
    this.logs = database.collection(WEBHOOK_LOGS_COLLECTION);
    this.health = database.collection(WEBHOOK_ENDPOINTS_COLLECTION);
    this.rejected = database.collection(WEBHOOK_REJECTED_COLLECTION);
    this.idWriter = new BulkWriter(this.ids);
    this.undeliveredWriter = new BulkWriter(this.undelivered);
    this.messageWriter = new BulkWriter(this.messages);
    this.claimWriter = new BulkWriter(this.claims);
    this.logWriter = new BulkWriter(this.logs);
  }

  /** For real MongoDB, which uses them; FerretDB accepts them (the PostgreSQL backend does not use them for reads). */
  static readonly indexes: Record<string, IndexDefinition[]> = {
    [WEBHOOK_UNDELIVERED_COLLECTION]: [{ key: { orderId: 1 }, options: { name: "orderId" } }],
    [WEBHOOK_MESSAGES_COLLECTION]: [
      { key: { orderId: 1 }, options: { name: "orderId" } },
      { key: { createdHour: 1 }, options: { name: "createdHour" } },
    ],
    [WEBHOOK_CLAIMS_COLLECTION]: [
      { key: { orderId: 1 }, options: { name: "orderId" } },
      { key: { webhookId: 1 }, options: { name: "webhookId" } },
      { key: { hour: 1 }, options: { name: "hour" } },
    ],
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

  /**
   * Registers a new message; when its id was registered before, returns the stored message instead.
   * With `firstClaim`, a new message's first attempt is claimed alongside storing it (`claimed` says
   * whether that claim was won); a claim whose message then fails to store is taken over after its lease.
   */
  async register(message: WebhookMessage, firstClaim?: AttemptRecord): Promise<{ message: WebhookMessage; created: boolean; claimed: boolean }> {
    const entry = entryOf(message)!;
    if ((await this.idWriter.insert({ _id: message.webhookId, orderId: message.orderId, createdAt: message.createdAt })) === "ok") {
      const [, claimed] = await Promise.all([this.undeliveredWriter.insert({ _id: entry.webhookId, ...entry }), firstClaim ? this.claim(firstClaim) : false]);
      return { message, created: true, claimed };
    }
    const stored = await this.findMessage(message.webhookId);
    if (stored) return { message: stored, created: false, claimed: false };
    // Registered by a process that stopped before storing the message itself: store it now.
    await this.undeliveredWriter.insert({ _id: entry.webhookId, ...entry });
    return { message: (await this.findMessage(message.webhookId)) ?? message, created: false, claimed: false };
  }

  /** The message, undelivered (the working set) or delivered (the history). */
  async findMessage(webhookId: string): Promise<WebhookMessage | undefined> {
    const entry = await this.findEntry(webhookId);
    if (entry) return messageOf(entry);
    const doc = strip(await this.messages.findOne({ _id: webhookId }));
    if (!doc) return undefined;
    const { createdHour: _, ...message } = doc;
    return message;
  }

  /** Stores the message as its current holder made it: in the working set, or once delivered, in the history. */
  async saveMessage(message: WebhookMessage): Promise<void> {
    const entry = entryOf(message);
    if (entry) {
      await this.undeliveredWriter.run({ replaceOne: { filter: { _id: entry.webhookId }, replacement: entry as never, upsert: true } });
      return;
    }
    // Together: should the history insert fail after the delete, the unacknowledged event is redelivered,
    // registers the message again and its recorded attempt is re-applied (at least once, never lost).
    await Promise.all([
      this.messageWriter.insert({ _id: message.webhookId, createdHour: hourOf(message.createdAt), ...message }),
      this.undeliveredWriter.run({ deleteOne: { filter: { _id: message.webhookId } } }),
    ]);
  }

  async messagesForOrder(orderId: string): Promise<WebhookMessage[]> {
    const [undelivered, delivered] = await Promise.all([this.entriesForOrder(orderId), this.messages.find({ orderId }).toArray()]);
    const all = [...undelivered.map(messageOf), ...delivered.map(({ _id, createdHour, ...m }) => m)];
    return all.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** Delivered messages created within [from, to), by hour bucket (equality), oldest first; stops past `limit`. */
  async deliveredByTime(from: Date, to: Date, limit: number): Promise<WebhookMessage[]> {
    const out: WebhookMessage[] = [];
    for (let hour = Date.parse(`${hourOf(from)}:00:00Z`); hour < to.getTime() && out.length <= limit; hour += 3_600_000) {
      const docs = await this.messages.find({ createdHour: hourOf(new Date(hour)) }).toArray();
      for (const { _id, createdHour, ...m } of docs.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())) {
        if (m.createdAt >= from && m.createdAt < to) out.push(m);
      }
    }
    return out;
  }

  // ---- the working set

  async findEntry(webhookId: string): Promise<UndeliveredEntry | undefined> {
    return strip(await this.undelivered.findOne({ _id: webhookId }));
  }

  async deleteEntry(webhookId: string): Promise<void> {
    await this.undeliveredWriter.run({ deleteOne: { filter: { _id: webhookId } } });
  }

  /** The whole working set (small: what is not delivered yet), without the bodies. */
  async allEntries(): Promise<UndeliveredEntry[]> {
    return (await this.undelivered.find({}, { projection: { payload: 0 } }).toArray()).map(({ _id, ...e }) => e as UndeliveredEntry);
  }

  async entriesForOrder(orderId: string): Promise<UndeliveredEntry[]> {
    return (await this.undelivered.find({ orderId }).toArray()).map(({ _id, ...e }) => e);
  }

  // ---- attempts

  /** Claims attempt `record.attemptNumber`; false when someone else claimed it first. */
  async claim(record: AttemptRecord): Promise<boolean> {
    const { webhookId, eventType, orderId, endpointId, attemptNumber, replay, claimedAt, leaseUntil } = record;
    const claim: AttemptClaim = { webhookId, eventType, orderId, endpointId, attemptNumber, replay, claimedAt, leaseUntil };
    return (await this.claimWriter.insert({ _id: attemptId(webhookId, attemptNumber), hour: hourOf(claimedAt), ...claim })) === "ok";
  }

  /** Records the claimed attempt's result: its one document in the attempt log. */
  async record(record: AttemptRecord): Promise<void> {
    await this.logWriter.insert({ _id: attemptId(record.webhookId, record.attemptNumber), hour: hourOf(record.claimedAt), ...record });
  }

  /** The attempt: its record once recorded, else its claim (as IN_FLIGHT), else undefined. */
  async findAttempt(webhookId: string, attempt: number): Promise<AttemptRecord | undefined> {
    const recorded = strip(await this.logs.findOne({ _id: attemptId(webhookId, attempt) }));
    if (recorded) {
      const { hour: _, ...record } = recorded;
      return record;
    }
    const claim = strip(await this.claims.findOne({ _id: attemptId(webhookId, attempt) }));
    return claim ? inFlight(claim) : undefined;
  }

  /** Whether attempt `attempt` was claimed. */
  async claimed(webhookId: string, attempt: number): Promise<boolean> {
    return (await this.claims.countDocuments({ _id: attemptId(webhookId, attempt) }, { limit: 1 })) > 0;
  }

  private static merge(claims: Array<ClaimDocument>, logs: Array<AttemptDocument>): AttemptRecord[] {
    const recorded = new Map(logs.map(({ _id, hour, ...a }) => [_id, a as AttemptRecord]));
    const out = [...recorded.values()];
    for (const { _id, hour, ...claim } of claims) if (!recorded.has(_id)) out.push(inFlight(claim));
    return out.sort(byTime);
  }

  async attemptsForOrder(orderId: string): Promise<AttemptRecord[]> {
    const [claims, logs] = await Promise.all([this.claims.find({ orderId }).toArray(), this.logs.find({ orderId }).toArray()]);
    return DeliveryStore.merge(claims, logs);
  }

  async attemptsForWebhook(webhookId: string): Promise<AttemptRecord[]> {
    const [claims, logs] = await Promise.all([this.claims.find({ webhookId }).toArray(), this.logs.find({ webhookId }).toArray()]);
    return DeliveryStore.merge(claims, logs);
  }

  /** Attempts claimed within [from, to), hour bucket by hour bucket, oldest first; stops past `limit`. */
  async attemptsByTime(from: Date, to: Date, limit: number): Promise<AttemptRecord[]> {
    const out: AttemptRecord[] = [];
    for (let hour = Date.parse(`${hourOf(from)}:00:00Z`); hour < to.getTime() && out.length <= limit; hour += 3_600_000) {
      const bucket = hourOf(new Date(hour));
      const [claims, logs] = await Promise.all([this.claims.find({ hour: bucket }).toArray(), this.logs.find({ hour: bucket }).toArray()]);
      out.push(...DeliveryStore.merge(claims, logs).filter((a) => a.claimedAt >= from && a.claimedAt < to));
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
    return (await new BulkWriter(this.health).insert({ _id: `${health.endpointId}#${health.version}`, ...health })) === "ok";
  }

  // ---- the forgery guard's refusals

  async recordRejected(event: RejectedEvent): Promise<void> {
    await this.rejected.insertOne({ ...event });
  }
}

/** A claim not recorded yet, as the attempt log shows it. */
function inFlight(claim: AttemptClaim): AttemptRecord {
  return {
    ...claim,
    payload: "",
    outcome: "IN_FLIGHT",
    attemptedAt: claim.claimedAt,
    httpStatus: 0,
    durationMs: 0,
    error: null,
    responseBody: "",
    responseTruncated: false,
    succeeded: false,
    nextRetryAt: null,
  };
}
