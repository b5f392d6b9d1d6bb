import { isDuplicateKeyError, type Database, type IndexDefinition, type Logger } from "@t2m/platform";
import type { Collection, Document } from "mongodb";
import { dayOf } from "../domain/calendar.js";
import { normalise, type SubscriptionChange, type SubscriptionRecord, type SubscriptionStatus } from "../domain/subscription.js";
import type { PendingRenewal, PendingRenewals, SubscriptionStore } from "../domain/subscriptions.js";

// Subscriptions in MongoDB (see domain/subscriptions.ts for the protocol):
//   subscriptions                  the projection: one document per subscription, _id = its first order's id
//   subscription_expiries_<day>    the same projection filed under the Africa/Lagos day its period ends
//                                  (subscription_expiries_20271209): what the jobs read, one day at a time
//   subscription_changes           the history: `<subscriptionId>#<version>`, inserted once (the claim)
//   subscription_renewals_pending  renewal orders accepted and not finished (a small working set)
//   subscription_reminders         `<subscriptionId>#<expiryDay>#<threshold>`: one per reminder ever due
// Why a collection per day rather than an expiryDay field with an index:
// on FerretDB's PostgreSQL backend no find filter uses an index, so
// equality on {status, expiryDay} is pushed down but still scans every
// subscription (40 to 80 ms a query at 100,000 documents, measured), and a
// run would cost what is stored, not what is due. A day's collection holds
// only the subscriptions that end that day, so reading it costs what is due
// on FerretDB and MongoDB alike. Every per-document write is an insert or a
// write by _id.

export const SUBSCRIPTIONS_COLLECTION = "subscriptions";
export const SUBSCRIPTION_CHANGES_COLLECTION = "subscription_changes";
export const PENDING_RENEWALS_COLLECTION = "subscription_renewals_pending";
export const SUBSCRIPTION_REMINDERS_COLLECTION = "subscription_reminders";
export const EXPIRY_DAY_COLLECTION_PREFIX = "subscription_expiries_";
const MIGRATIONS_COLLECTION = "provisioning_migrations";

/** The collection of the subscriptions whose period ends on `day` (YYYY-MM-DD). */
export const expiryDayCollection = (day: string): string => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not a calendar day: ${JSON.stringify(day)}`);
  return `${EXPIRY_DAY_COLLECTION_PREFIX}${day.replaceAll("-", "")}`;
};

export const subscriptionIndexes: IndexDefinition[] = [
  { key: { activationReference: 1 }, options: { name: "activationReference_unique", unique: true } },
  { key: { customerId: 1 }, options: { name: "customerId" } },
];

export const changeIndexes: IndexDefinition[] = [{ key: { subscriptionId: 1, version: 1 }, options: { name: "subscriptionId_version" } }];

type ProjectionDocument = SubscriptionRecord & { _id: string };
type ChangeDocument = SubscriptionChange & { _id: string };

const changeId = (subscriptionId: string, version: number) => `${subscriptionId}#${version}`;

function projectionOf(doc: Document | null): SubscriptionRecord | undefined {
  if (!doc) return undefined;
  const { _id, ...stored } = doc;
  return normalise(stored as SubscriptionRecord);
}

function changeOf(doc: Document | null): SubscriptionChange | undefined {
  if (!doc) return undefined;
  const { _id, ...change } = doc;
  return change as SubscriptionChange;
}

/**
 * Writes version n of a subscription into `collection` over an older one
 * (usually n−1: one round trip), never over a newer one. FerretDB applies a
 * conditional replace as read-then-replace, so two finishers of different
 * versions could in theory interleave; the history stays right and the next
 * reader that finds a projection behind it finishes again.
 */
async function writeForward(collection: Collection<ProjectionDocument>, state: SubscriptionRecord): Promise<void> {
  const doc: ProjectionDocument = { _id: state.orderId, ...state };
  if ((await collection.replaceOne({ _id: state.orderId, version: state.version - 1 }, { ...state })).matchedCount > 0) return;
  for (let tries = 0; tries < 8; tries++) {
    const stored = await collection.findOne({ _id: state.orderId }, { projection: { version: 1 } });
    if (!stored) {
      try {
        await collection.insertOne(doc);
        return;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        continue;
      }
    }
    if ((stored.version ?? 1) >= state.version) return;
    const filter = stored.version === undefined ? { _id: state.orderId, version: { $exists: false } } : { _id: state.orderId, version: stored.version };
    if ((await collection.replaceOne(filter as never, { ...state })).matchedCount > 0) return;
  }
  throw new Error(`could not project subscription ${state.orderId} version ${state.version}: it keeps changing`);
}

export class MongoSubscriptionStore implements SubscriptionStore {
  readonly subscriptions: Collection<ProjectionDocument>;
  readonly changesCollection: Collection<ChangeDocument>;

  constructor(private readonly database: Database) {
    this.subscriptions = database.collection(SUBSCRIPTIONS_COLLECTION);
    this.changesCollection = database.collection(SUBSCRIPTION_CHANGES_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.database.ensureIndexes(SUBSCRIPTIONS_COLLECTION, subscriptionIndexes);
    await this.database.ensureIndexes(SUBSCRIPTION_CHANGES_COLLECTION, changeIndexes);
  }

  private day(day: string): Collection<ProjectionDocument> {
    return this.database.collection(expiryDayCollection(day));
  }

  async findProjection(subscriptionId: string): Promise<SubscriptionRecord | undefined> {
    return projectionOf(await this.subscriptions.findOne({ _id: subscriptionId }));
  }

  async findByActivationReference(activationReference: string): Promise<SubscriptionRecord | undefined> {
    return projectionOf(await this.subscriptions.findOne({ activationReference }));
  }

  async findChange(subscriptionId: string, version: number): Promise<SubscriptionChange | undefined> {
    return changeOf(await this.changesCollection.findOne({ _id: changeId(subscriptionId, version) }));
  }

  async changes(subscriptionId: string): Promise<SubscriptionChange[]> {
    const docs = await this.changesCollection.find({ subscriptionId }).toArray();
    return docs.map((d) => changeOf(d)!).sort((a, b) => a.version - b.version);
  }

  async claim(change: SubscriptionChange): Promise<boolean> {
    try {
      await this.changesCollection.insertOne({ _id: changeId(change.subscriptionId, change.version), ...change });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  /**
   * The day's entry first (and out of the day it ended on before, for a
   * renewal), then the subscription's document: a document at version n
   * means every write of version n is done.
   */
  async project(change: SubscriptionChange): Promise<void> {
    const { state } = change;
    await writeForward(this.day(state.expiryDay), state);
    const previousDay = change.previousExpiryDate ? dayOf(change.previousExpiryDate) : undefined;
    if (previousDay && previousDay !== state.expiryDay) {
      await this.day(previousDay).deleteOne({ _id: state.orderId, version: { $lt: state.version } });
    }
    await writeForward(this.subscriptions, state);
  }

  async byCustomer(customerId: string): Promise<SubscriptionRecord[]> {
    return (await this.subscriptions.find({ customerId }).toArray()).map((d) => projectionOf(d)!);
  }

  /** The subscriptions whose period ends on one Lagos day, in one status: that day's collection, nothing else. */
  async byExpiryDay(expiryDay: string, status: SubscriptionStatus): Promise<SubscriptionRecord[]> {
    return (await this.day(expiryDay).find({ status }).toArray()).map((d) => projectionOf(d)!);
  }

  /**
   * After the renewal-check job has read a day that is over: what is not
   * ACTIVE there will never be due again (an ACTIVE one waits for its
   * renewal order), so it goes; an empty day's collection is dropped.
   */
  async sweepDay(expiryDay: string): Promise<{ removed: number; dropped: boolean }> {
    const day = this.day(expiryDay);
    let removed = 0;
    for (const status of ["EXPIRED", "REVOKED"] as const) removed += (await day.deleteMany({ status })).deletedCount;
    if ((await day.countDocuments({}, { limit: 1 })) > 0) return { removed, dropped: false };
    const dropped = await day.drop().catch((err: unknown) => {
      // 26 NamespaceNotFound: nothing ever ended that day.
      if ((err as { code?: number }).code === 26) return false;
      throw err;
    });
    return { removed, dropped };
  }

  /**
   * Gives records stored before subscriptions had a history their change 1,
   * version and expiry day (and their day's entry), once per database (a
   * marker records it). Safe to run in several replicas at once: every
   * write is idempotent.
   */
  async backfill(logger: Logger): Promise<number> {
    const migrations = this.database.collection<{ _id: string; at: Date; count: number }>(MIGRATIONS_COLLECTION);
    const marker = "subscriptions-history-v1";
    if (await migrations.findOne({ _id: marker })) return 0;
    const legacy = await this.subscriptions.find({ version: { $exists: false } } as never).toArray();
    for (const doc of legacy) {
      const state = projectionOf(doc)!;
      const change: SubscriptionChange = { subscriptionId: state.orderId, version: 1, kind: "ACTIVATED", at: state.createdAt, orderId: state.orderId, state };
      await this.claim(change);
      await writeForward(this.day(state.expiryDay), state);
      await this.subscriptions.replaceOne({ _id: state.orderId, version: { $exists: false } } as never, { ...state });
    }
    try {
      await migrations.insertOne({ _id: marker, at: new Date(), count: legacy.length });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    if (legacy.length > 0) logger.info({ count: legacy.length }, "subscriptions stored before histories existed now have one");
    return legacy.length;
  }
}

type PendingDocument = Omit<PendingRenewal, "renewalOrderId"> & { _id: string };

/** Renewal orders accepted and not finished: inserted at intake's check, deleted when the renewal is recorded or its order fails. */
export class MongoPendingRenewals implements PendingRenewals {
  private readonly collection: Collection<PendingDocument>;

  constructor(database: Database) {
    this.collection = database.collection(PENDING_RENEWALS_COLLECTION);
  }

  async add(renewal: PendingRenewal): Promise<void> {
    try {
      await this.collection.insertOne({ _id: renewal.renewalOrderId, subscriptionId: renewal.subscriptionId, createdAt: renewal.createdAt });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }

  async remove(renewalOrderId: string): Promise<void> {
    await this.collection.deleteOne({ _id: renewalOrderId });
  }

  async all(): Promise<PendingRenewal[]> {
    return (await this.collection.find({}).toArray()).map(({ _id, ...r }) => ({ renewalOrderId: _id, ...r }));
  }
}

/** One expiry reminder: claimed (inserted) before its event is published, marked once published. */
export interface ReminderRecord {
  readonly id: string;
  readonly subscriptionId: string;
  readonly expiryDay: string;
  readonly thresholdDays: number;
  readonly daysUntilExpiry: number;
  readonly version: number;
  readonly activationReference: string;
  readonly productId: string;
  readonly tenure: string;
  readonly customerId: string;
  readonly customerEmail: string;
  readonly expiryDate: Date;
  /** The renewal price in minor units; undefined when the catalogue no longer offers the tenure. */
  readonly amount?: { readonly currencyCode: string; readonly amountMinor: number };
  /** The job's clock when it was due. */
  readonly remindedAt: Date;
  readonly createdAt: Date;
  readonly publishedAt?: Date;
}

export const reminderId = (subscriptionId: string, expiryDay: string, thresholdDays: number) => `${subscriptionId}#${expiryDay}#${thresholdDays}`;

type ReminderDocument = Omit<ReminderRecord, "id"> & { _id: string };

export class MongoReminderStore {
  readonly collection: Collection<ReminderDocument>;

  constructor(private readonly database: Database) {
    this.collection = database.collection(SUBSCRIPTION_REMINDERS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    // Read by _id only.
  }

  /** Claims the reminder; when it was claimed before, returns that record instead. */
  async claim(record: ReminderRecord): Promise<{ claimed: true } | { claimed: false; existing: ReminderRecord }> {
    const { id, ...rest } = record;
    try {
      await this.collection.insertOne({ _id: id, ...rest });
      return { claimed: true };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const doc = await this.collection.findOne({ _id: id });
      if (!doc) throw err;
      const { _id, ...stored } = doc;
      return { claimed: false, existing: { id: _id, ...stored } };
    }
  }

  /** Its only update, by whoever published it (a repeat writes the same). */
  async markPublished(id: string, at: Date): Promise<void> {
    await this.collection.updateOne({ _id: id }, { $set: { publishedAt: at } });
  }

  async find(id: string): Promise<ReminderRecord | undefined> {
    const doc = await this.collection.findOne({ _id: id });
    if (!doc) return undefined;
    const { _id, ...stored } = doc;
    return { id: _id, ...stored };
  }
}
