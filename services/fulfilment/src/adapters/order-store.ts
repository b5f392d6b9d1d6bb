import { isDuplicateKeyError, type Database, type IndexDefinition } from "@t2m/platform";
import { MongoBulkWriteError, type Collection } from "mongodb";
import { isTerminal } from "../domain/lifecycle.js";
import type { OrderRecord, OrderStatus } from "../domain/order.js";
import { DEFAULT_PARTNER_ID, partnerOrderIdOf, releasedIdempotencyKey } from "../domain/partner.js";
import type { UnfinishedOrder } from "../domain/sweep.js";
import type { AttemptClaim } from "../domain/work.js";

export const ORDERS_COLLECTION = "orders";
export const ATTEMPTS_COLLECTION = "order_attempts";

/** As stored: with the UTC day of its last change (`updatedDay`), which listing a partner's orders filters on by equality. */
type OrderDocument = OrderRecord & { _id: string; updatedDay: string };

/** "2026-11-27": the bucket of a time, for equality filters (FerretDB pushes down equality, never a range). */
export const dayOf = (date: Date): string => date.toISOString().slice(0, 10);

const toDocument = (order: OrderRecord): OrderDocument => ({ _id: order.orderId, ...order, updatedDay: dayOf(order.updatedAt) });
type ClaimDocument = AttemptClaim & { _id: string };

export const orderIndexes: IndexDefinition[] = [
  { key: { idempotencyKey: 1 }, options: { name: "idempotencyKey_unique", unique: true } },
  // The sweeper reads unfinished orders by status (an equality, which FerretDB pushes down), oldest first.
  { key: { status: 1, createdAt: 1 }, options: { name: "status_createdAt" } },
  // A partner's orders by day of last change (ListOrders); equality on both, which FerretDB pushes down.
  { key: { partnerId: 1, updatedDay: 1 }, options: { name: "partnerId_updatedDay" } },
];

export const attemptIndexes: IndexDefinition[] = [{ key: { orderId: 1, attempt: 1 }, options: { name: "orderId_attempt" } }];

const claimId = (orderId: string, attempt: number) => `${orderId}#${attempt}`;

/**
 * Orders in MongoDB, keyed by T2Mobile's order id. Intake only inserts;
 * afterwards only the worker holding the order's current attempt writes it,
 * by _id. An attempt is claimed by inserting `<orderId>#<attempt>` into
 * order_attempts: a unique insert is the one operation that is atomic on
 * MongoDB and FerretDB alike (FerretDB applies updates as read-then-replace,
 * so a conditional update cannot arbitrate between two workers).
 */
export class OrderStore {
  private readonly orders: Collection<OrderDocument>;
  private readonly attempts: Collection<ClaimDocument>;
  /**
   * Finished orders this process wrote, newest last: a finished order never
   * changes again, so reads of it (notification's check of every outcome it
   * signs) need not reach the store. Unfinished orders are always read.
   */
  private readonly finished = new Map<string, OrderRecord>();
  private static readonly FINISHED_KEPT = 5_000;

  constructor(private readonly database: Database) {
    this.orders = database.collection<OrderDocument>(ORDERS_COLLECTION);
    this.attempts = database.collection<ClaimDocument>(ATTEMPTS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.database.ensureIndexes(ORDERS_COLLECTION, orderIndexes);
    await this.database.ensureIndexes(ATTEMPTS_COLLECTION, attemptIndexes);
  }

  /** Inserts a batch in one call; per order "duplicate" when its id or idempotency key is taken. */
  async insertMany(orders: readonly OrderRecord[]): Promise<Array<"inserted" | "duplicate">> {
    const results = orders.map(() => "inserted" as "inserted" | "duplicate");
    if (orders.length === 0) return results;
    try {
      await this.orders.insertMany(
        orders.map(toDocument),
        { ordered: false },
      );
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError)) throw err;
      const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      for (const writeError of writeErrors) {
        if (writeError.code !== 11000) throw err;
        results[writeError.index] = "duplicate";
      }
    }
    return results;
  }

  async findById(orderId: string): Promise<OrderRecord | undefined> {
    return strip(await this.orders.findOne({ _id: orderId }));
  }

  /** For readers (not the worker): a finished order this process wrote comes from memory. */
  async read(orderId: string): Promise<OrderRecord | undefined> {
    return this.finished.get(orderId) ?? (await this.findById(orderId));
  }

  async findByIdempotencyKey(key: string): Promise<OrderRecord | undefined> {
    return strip(await this.orders.findOne({ idempotencyKey: key }));
  }

  /** Stores the order as the lifecycle module produced it (its single writer calls this). */
  async save(order: OrderRecord): Promise<void> {
    const { _id, ...doc } = toDocument(order);
    const result = await this.orders.replaceOne({ _id: order.orderId }, doc);
    if (result.matchedCount === 0) throw new Error(`order ${order.orderId} not found`);
    if (isTerminal(order.status)) {
      this.finished.set(order.orderId, order);
      if (this.finished.size > OrderStore.FINISHED_KEPT) this.finished.delete(this.finished.keys().next().value!);
    }
  }

  /**
   * Releases an expired key for reuse (see keyExpired): the order's key
   * becomes a unique value no request can send. Only a finished order's key
   * is released, and nothing else writes a finished order.
   */
  async releaseKey(order: OrderRecord, at: Date): Promise<void> {
    await this.orders.updateOne(
      { _id: order.orderId, idempotencyKey: order.idempotencyKey },
      { $set: { idempotencyKey: releasedIdempotencyKey(order.orderId), releasedIdempotencyKeyAt: at } },
    );
  }

  /**
   * One partner's orders last changed on `day` (and in `status`), oldest
   * change first. Both filters are equalities: FerretDB pushes them down
   * (PostgreSQL scans the table but filters it itself); MongoDB uses the
   * partnerId_updatedDay index. The sort is done on what matched.
   */
  async changedOn(partnerId: string, day: string, status: OrderStatus | undefined): Promise<OrderRecord[]> {
    const docs = await this.orders.find({ partnerId, updatedDay: day, ...(status ? { status } : {}) }).toArray();
    return docs.map((d) => strip(d)!).sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0));
  }

  /** Extends the lease of the attempt in progress (its worker is the only writer). */
  async renewLease(orderId: string, leaseUntil: Date): Promise<void> {
    await this.orders.updateOne({ _id: orderId }, { $set: { leaseUntil } });
  }

  /** Claims an attempt; false when another worker claimed it first. */
  async claimAttempt(orderId: string, attempt: number, now: Date, leaseUntil: Date): Promise<boolean> {
    try {
      await this.attempts.insertOne({ _id: claimId(orderId, attempt), orderId, attempt, claimedAt: now, leaseUntil });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  /** Ends a claim's lease at once (its holder stops), so another worker may take the order over. */
  async releaseClaim(orderId: string, attempt: number, at: Date): Promise<void> {
    await this.attempts.updateOne({ _id: claimId(orderId, attempt) }, { $set: { leaseUntil: at } });
  }

  async findClaim(orderId: string, attempt: number): Promise<AttemptClaim | undefined> {
    const doc = await this.attempts.findOne({ _id: claimId(orderId, attempt) });
    if (!doc) return undefined;
    const { _id, ...claim } = doc;
    return claim;
  }

  /**
   * What the sweeper needs of unfinished orders: every PROCESSING one (at work
   * or waiting for a retry) and the oldest PENDING ones (a long queue is read
   * only at its head). Status equality is what FerretDB pushes down.
   */
  async unfinished(pendingLimit: number): Promise<UnfinishedOrder[]> {
    const [pending, processing] = await Promise.all([this.withStatus("PENDING", pendingLimit), this.withStatus("PROCESSING", 0)]);
    return [...pending, ...processing];
  }

  /** Orders in one status, oldest first (limit 0: all). */
  async withStatus(status: OrderStatus, limit: number): Promise<UnfinishedOrder[]> {
    const projection = { orderId: 1, status: 1, attempts: 1, createdAt: 1, updatedAt: 1, nextAttemptAt: 1, leaseUntil: 1, waitingFor: 1 } as const;
    const docs = (await this.orders.find({ status }, { projection, sort: { createdAt: 1 }, limit }).toArray()) as unknown as Array<UnfinishedOrder & { _id?: string }>;
    return docs.map(({ _id, ...o }) => o);
  }
}

/** An order as the domain sees it; one stored before partners belongs to T2Mobile under its own id. */
function strip(doc: OrderDocument | null): OrderRecord | undefined {
  if (!doc) return undefined;
  const { _id, updatedDay: _d, ...order } = doc as OrderDocument & { releasedIdempotencyKeyAt?: Date };
  const { releasedIdempotencyKeyAt: _r, ...rest } = order as typeof order & { releasedIdempotencyKeyAt?: Date };
  const partnerId = rest.partnerId ?? DEFAULT_PARTNER_ID;
  // The platform id says what the partner's own id is (the same for T2Mobile, whose orders predate partners).
  return { ...rest, partnerId, partnerOrderId: partnerOrderIdOf(partnerId, rest.orderId) };
}
