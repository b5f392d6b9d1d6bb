import { isDuplicateKeyError, type Database, type IndexDefinition } from "@t2m/platform";
import type { Collection } from "mongodb";
import type { LicenceResult, SalesOrderResult } from "../domain/fulfil-order.js";
import type { OrderRecord, OrderStatus } from "../domain/order.js";

export const ORDERS_COLLECTION = "orders";

type OrderDocument = OrderRecord & { _id: string };

export const orderIndexes: IndexDefinition[] = [
  { key: { idempotencyKey: 1 }, options: { name: "idempotencyKey_unique", unique: true } },
  { key: { status: 1, updatedAt: 1 }, options: { name: "status_updatedAt" } },
  { key: { "customer.customerId": 1, createdAt: -1 }, options: { name: "customer_createdAt" } },
  { key: { submittedPublishedAt: 1, createdAt: 1 }, options: { name: "submittedPublished_createdAt" } },
];

export class OrderNotFound extends Error {
  constructor(orderId: string) {
    super(`order ${orderId} not found`);
    this.name = "OrderNotFound";
  }
}

/** Orders in MongoDB, keyed by T2Mobile's order id. Single-document updates only (FerretDB has no transactions). */
export class OrderStore {
  private readonly orders: Collection<OrderDocument>;

  constructor(private readonly database: Database) {
    this.orders = database.collection<OrderDocument>(ORDERS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.database.ensureIndexes(ORDERS_COLLECTION, orderIndexes);
  }

  async insert(order: OrderRecord): Promise<"inserted" | "duplicate"> {
    try {
      await this.orders.insertOne({ _id: order.orderId, ...order });
      return "inserted";
    } catch (err) {
      if (isDuplicateKeyError(err)) return "duplicate";
      throw err;
    }
  }

  async findByOrderId(orderId: string): Promise<OrderRecord | undefined> {
    return strip(await this.orders.findOne({ _id: orderId }));
  }

  async findByIdempotencyKey(key: string): Promise<OrderRecord | undefined> {
    return strip(await this.orders.findOne({ idempotencyKey: key }));
  }

  /** Orders whose OrderSubmitted may never have reached the stream. */
  async findUnannouncedSubmissions(olderThan: Date, limit: number): Promise<OrderRecord[]> {
    const docs = await this.orders
      .find({ submittedPublishedAt: { $exists: false }, createdAt: { $lt: olderThan } })
      .sort({ createdAt: 1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => strip(d)!);
  }

  /** Finished orders whose outcome event may never have reached the stream. */
  async findUnannouncedOutcomes(olderThan: Date, limit: number): Promise<OrderRecord[]> {
    const docs = await this.orders
      .find({ status: { $in: ["FULFILLED", "FAILED"] }, outcomePublishedAt: { $exists: false }, updatedAt: { $lt: olderThan } })
      .sort({ updatedAt: 1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => strip(d)!);
  }

  // By _id alone: a repeat only moves the timestamp, and FerretDB's SQLite
  // backend pushes down nothing but _id equality (anything more scans).
  async markSubmittedPublished(orderId: string, at: Date): Promise<void> {
    await this.orders.updateOne({ _id: orderId }, { $set: { submittedPublishedAt: at } });
  }

  async markOutcomePublished(orderId: string, at: Date): Promise<void> {
    await this.orders.updateOne({ _id: orderId }, { $set: { outcomePublishedAt: at } });
  }

  /** Only unfinished orders move to PROCESSING: a finished order is never reopened. */
  async markProcessing(orderId: string, at: Date): Promise<OrderRecord> {
    return this.transition(orderId, ["PENDING", "PROCESSING"], {
      $set: { status: "PROCESSING", updatedAt: at },
      $inc: { processingAttempts: 1 },
    });
  }

  async recordSalesOrder(orderId: string, result: SalesOrderResult, at: Date): Promise<OrderRecord> {
    return this.transition(orderId, ["PROCESSING"], { $set: { ...result, updatedAt: at } });
  }

  async recordLicence(orderId: string, result: LicenceResult, at: Date): Promise<OrderRecord> {
    return this.transition(orderId, ["PROCESSING"], { $set: { ...result, updatedAt: at } });
  }

  async markFulfilled(orderId: string, at: Date): Promise<OrderRecord> {
    return this.transition(orderId, ["PROCESSING"], { $set: { status: "FULFILLED", fulfilledAt: at, updatedAt: at } });
  }

  async markFailed(orderId: string, reason: string, at: Date): Promise<OrderRecord> {
    return this.transition(orderId, ["PENDING", "PROCESSING"], {
      $set: { status: "FAILED", failureReason: reason, failedAt: at, updatedAt: at },
    });
  }

  /**
   * A compare-and-set on the status: the update applies only from the
   * allowed statuses, so two workers can never both finish an order.
   */
  private async transition(orderId: string, from: OrderStatus[], update: object): Promise<OrderRecord> {
    const updated = await this.orders.findOneAndUpdate({ _id: orderId, status: { $in: from } }, update, {
      returnDocument: "after",
    });
    if (updated) return strip(updated)!;
    const current = await this.findByOrderId(orderId);
    if (!current) throw new OrderNotFound(orderId);
    throw new Error(`order ${orderId} is ${current.status}; expected ${from.join(" or ")}`);
  }
}

function strip(doc: OrderDocument | null): OrderRecord | undefined {
  if (!doc) return undefined;
  const { _id, ...order } = doc;
  return order;
}
