// In-memory stores with the MongoDB stores' semantics, for tests.
import type { ContactRecord, ContactStore } from "./contacts.js";
import type { SalesOrderDisposition, SalesOrderRecord } from "./provisioning.js";
import { IntegrityError, type SalesOrderStore } from "./sales-orders.js";
import type { SubscriptionChange, SubscriptionRecord } from "./subscription.js";
import type { PendingRenewal, PendingRenewals, SubscriptionStore } from "./subscriptions.js";

export class MemorySalesOrderStore implements SalesOrderStore {
  readonly records = new Map<string, SalesOrderRecord>();

  async find(orderId: string): Promise<SalesOrderRecord | undefined> {
    return this.records.get(orderId);
  }

  async insertOrGet(record: SalesOrderRecord): Promise<SalesOrderRecord> {
    const own = this.records.get(record.orderId);
    if (own) {
      if (own.zohoSalesOrderId === record.zohoSalesOrderId) return own;
      throw new IntegrityError(`order ${record.orderId} already holds ${own.zohoSalesOrderId}`, record.orderId, record.zohoSalesOrderId);
    }
    const holder = [...this.records.values()].find((r) => r.zohoSalesOrderId === record.zohoSalesOrderId);
    if (holder) throw new IntegrityError(`Zoho sales order ${record.zohoSalesOrderId} is recorded for ${holder.orderId}`, record.orderId, record.zohoSalesOrderId, holder.orderId);
    this.records.set(record.orderId, record);
    return record;
  }

  async markConfirmed(orderId: string, at: Date): Promise<void> {
    const record = this.records.get(orderId);
    if (record) this.records.set(orderId, { ...record, status: "confirmed", confirmedAt: at });
  }

  async recordDisposition(orderId: string, disposition: SalesOrderDisposition): Promise<void> {
    const record = this.records.get(orderId);
    if (record) this.records.set(orderId, { ...record, disposition });
  }
}

export class MemoryContactStore implements ContactStore {
  readonly records = new Map<string, ContactRecord>();
  finds = 0;

  async find(customerKey: string): Promise<ContactRecord | undefined> {
    this.finds++;
    return this.records.get(customerKey);
  }

  async insertOrGet(record: ContactRecord): Promise<ContactRecord> {
    const existing = this.records.get(record.customerKey);
    if (existing) return existing;
    this.records.set(record.customerKey, record);
    return record;
  }

  async forget(customerKey: string, zohoContactId: string): Promise<void> {
    if (this.records.get(customerKey)?.zohoContactId === zohoContactId) this.records.delete(customerKey);
  }
}

/** The subscription stores' semantics in memory: unique change claims, projections that never go back. */
export class MemorySubscriptionStore implements SubscriptionStore {
  readonly projections = new Map<string, SubscriptionRecord>();
  readonly changeLog = new Map<string, SubscriptionChange>();

  async findProjection(id: string) {
    return this.projections.get(id);
  }

  async findByActivationReference(ref: string) {
    return [...this.projections.values()].find((p) => p.activationReference === ref);
  }

  async findChange(id: string, version: number) {
    return this.changeLog.get(`${id}#${version}`);
  }

  async changes(id: string) {
    return [...this.changeLog.values()].filter((c) => c.subscriptionId === id).sort((a, b) => a.version - b.version);
  }

  async claim(change: SubscriptionChange) {
    const key = `${change.subscriptionId}#${change.version}`;
    if (this.changeLog.has(key)) return false;
    this.changeLog.set(key, change);
    return true;
  }

  async project(change: SubscriptionChange) {
    const { state } = change;
    const stored = this.projections.get(state.orderId);
    if (!stored || stored.version < state.version) this.projections.set(state.orderId, state);
  }

  async byCustomer(customerId: string) {
    return [...this.projections.values()].filter((p) => p.customerId === customerId);
  }
}

export class MemoryPendingRenewals implements PendingRenewals {
  readonly entries = new Map<string, PendingRenewal>();

  async add(renewal: PendingRenewal) {
    if (!this.entries.has(renewal.renewalOrderId)) this.entries.set(renewal.renewalOrderId, renewal);
  }

  async remove(id: string) {
    this.entries.delete(id);
  }

  async all() {
    return [...this.entries.values()];
  }
}
