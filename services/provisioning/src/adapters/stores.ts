import { isDuplicateKeyError, type Database, type IndexDefinition } from "@t2m/platform";
import type { Collection, Document } from "mongodb";
import type { SalesOrderRecord, Stored } from "../domain/provisioning.js";
import type { SubscriptionRecord } from "../domain/subscription.js";

export const SALES_ORDERS_COLLECTION = "sales_orders";
export const SUBSCRIPTIONS_COLLECTION = "subscriptions";

export const salesOrderIndexes: IndexDefinition[] = [
  { key: { zohoSalesOrderId: 1 }, options: { name: "zohoSalesOrderId_unique", unique: true } },
];

export const subscriptionIndexes: IndexDefinition[] = [
  { key: { activationReference: 1 }, options: { name: "activationReference_unique", unique: true } },
  // The expiry reminder and renewal jobs scan by status and expiry date.
  { key: { status: 1, expiryDate: 1 }, options: { name: "status_expiryDate" } },
  { key: { customerId: 1 }, options: { name: "customerId" } },
];

/** Records keyed by order id (_id), so MongoDB itself enforces one per order. */
class OrderKeyedStore<T extends { orderId: string }> implements Stored<T> {
  private readonly collection: Collection<Document>;

  constructor(database: Database, name: string) {
    this.collection = database.collection(name);
  }

  async find(orderId: string): Promise<T | undefined> {
    const doc = await this.collection.findOne({ _id: orderId as never });
    if (!doc) return undefined;
    const { _id, ...record } = doc;
    return record as T;
  }

  async insertOrGet(record: T): Promise<T> {
    try {
      await this.collection.insertOne({ _id: record.orderId as never, ...record });
      return record;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const existing = await this.find(record.orderId);
      if (!existing) throw err;
      return existing;
    }
  }
}

export async function openStores(database: Database) {
  await database.ensureIndexes(SALES_ORDERS_COLLECTION, salesOrderIndexes);
  await database.ensureIndexes(SUBSCRIPTIONS_COLLECTION, subscriptionIndexes);
  return {
    salesOrders: new OrderKeyedStore<SalesOrderRecord>(database, SALES_ORDERS_COLLECTION),
    subscriptions: new OrderKeyedStore<SubscriptionRecord>(database, SUBSCRIPTIONS_COLLECTION),
  };
}
