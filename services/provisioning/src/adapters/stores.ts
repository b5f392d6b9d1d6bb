import { isDuplicateKeyError, type Database, type IndexDefinition } from "@t2m/platform";
import type { Collection, Document } from "mongodb";
import type { ContactRecord, ContactStore } from "../domain/contacts.js";
import type { SalesOrderDisposition, SalesOrderRecord, Stored } from "../domain/provisioning.js";
import { IntegrityError, type SalesOrderStore } from "../domain/sales-orders.js";

// Every collection is keyed by what identifies its records (_id), so
// MongoDB itself enforces one per key, and the hot paths look up by _id
// alone (FerretDB on SQLite pushes down only _id equality). Each record has
// one writer at a time (the replica handling that order); updates are
// plain $set by _id, never relied on as an atomic compare-and-set, which
// FerretDB (read, then replace) does not give.

export const SALES_ORDERS_COLLECTION = "sales_orders";
export const ZOHO_CONTACTS_COLLECTION = "zoho_contacts";

export const salesOrderIndexes: IndexDefinition[] = [
  // One order per Zoho sales order: a second order given the same id is an integrity error.
  { key: { zohoSalesOrderId: 1 }, options: { name: "zohoSalesOrderId_unique", unique: true } },
];

/** Records keyed by order id (_id), so MongoDB itself enforces one per order. */
class OrderKeyedStore<T extends { orderId: string }> implements Stored<T> {
  protected readonly collection: Collection<Document>;

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

/** The sales order made for each order, with its confirmation and what became of it. */
export class MongoSalesOrderStore extends OrderKeyedStore<SalesOrderRecord> implements SalesOrderStore {
  /**
   * A unique-index clash is told apart by looking, not by parsing the
   * error: the order's own record (a racing attempt stored it first) is
   * returned when it names the same Zoho order; any other clash means two
   * orders claim one Zoho sales order, an integrity error.
   */
  override async insertOrGet(record: SalesOrderRecord): Promise<SalesOrderRecord> {
    try {
      await this.collection.insertOne({ _id: record.orderId as never, ...record });
      return record;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const own = await this.find(record.orderId);
      if (own?.zohoSalesOrderId === record.zohoSalesOrderId) return own;
      if (own) {
        throw new IntegrityError(
          `order ${record.orderId} already holds Zoho sales order ${own.zohoSalesOrderId}, not ${record.zohoSalesOrderId}`,
          record.orderId,
          record.zohoSalesOrderId,
        );
      }
      // Off the hot path: only after a clash on the Zoho id.
      const holder = await this.collection.findOne({ zohoSalesOrderId: record.zohoSalesOrderId });
      const other = holder ? String(holder._id) : undefined;
      throw new IntegrityError(
        `Zoho sales order ${record.zohoSalesOrderId} given for order ${record.orderId} is already recorded for order ${other ?? "(unknown)"}`,
        record.orderId,
        record.zohoSalesOrderId,
        other,
      );
    }
  }

  async markConfirmed(orderId: string, at: Date): Promise<void> {
    await this.collection.updateOne({ _id: orderId as never }, { $set: { status: "confirmed", confirmedAt: at } });
  }

  async recordDisposition(orderId: string, disposition: SalesOrderDisposition): Promise<void> {
    await this.collection.updateOne({ _id: orderId as never }, { $set: { disposition } });
  }
}

/** Each T2Mobile customer's Zoho contact id, keyed by the customer (_id). */
export class MongoContactStore implements ContactStore {
  private readonly collection: Collection<Document>;

  constructor(database: Database) {
    this.collection = database.collection(ZOHO_CONTACTS_COLLECTION);
  }

  async find(customerKey: string): Promise<ContactRecord | undefined> {
    const doc = await this.collection.findOne({ _id: customerKey as never });
    return doc ? toContact(doc) : undefined;
  }

  async insertOrGet(record: ContactRecord): Promise<ContactRecord> {
    const { customerKey, ...rest } = record;
    try {
      await this.collection.insertOne({ _id: customerKey as never, ...rest });
      return record;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const existing = await this.find(customerKey);
      if (!existing) throw err;
      return existing;
    }
  }

  async forget(customerKey: string, zohoContactId: string): Promise<void> {
    await this.collection.deleteOne({ _id: customerKey as never, zohoContactId });
  }
}

function toContact(doc: Document): ContactRecord {
  return { customerKey: String(doc._id), zohoContactId: String(doc.zohoContactId), email: String(doc.email ?? ""), createdAt: doc.createdAt as Date };
}

export async function openStores(database: Database) {
  await database.ensureIndexes(SALES_ORDERS_COLLECTION, salesOrderIndexes);
  return {
    salesOrders: new MongoSalesOrderStore(database, SALES_ORDERS_COLLECTION),
    contacts: new MongoContactStore(database),
  };
}
