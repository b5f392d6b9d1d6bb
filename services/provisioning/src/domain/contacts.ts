import type { Logger } from "@t2m/platform";
import type { CallContext } from "./call-budget.js";
import { Lru } from "./lru.js";
import type { Customer } from "./provisioning.js";

/** A T2Mobile customer's Zoho contact, remembered so a returning customer costs no lookup. */
export interface ContactRecord {
  /** T2Mobile's customer id (or `email:<address>` when an order names none). */
  readonly customerKey: string;
  readonly zohoContactId: string;
  /** The email the contact was found or made with. */
  readonly email: string;
  readonly createdAt: Date;
}

export interface ContactStore {
  find(customerKey: string): Promise<ContactRecord | undefined>;
  /** Stores the record; when one exists for the customer already, returns that one. */
  insertOrGet(record: ContactRecord): Promise<ContactRecord>;
  /** Forgets the customer's contact if it is still this one. */
  forget(customerKey: string, zohoContactId: string): Promise<void>;
}

/** The Zoho calls the directory makes. */
export interface ContactLookup {
  findContactByEmail(email: string, ctx: CallContext): Promise<{ contactId: string } | undefined>;
  createContact(contact: { name: string; email: string; phone: string; notes?: string }, ctx: CallContext): Promise<{ contactId: string }>;
}

export const customerKeyOf = (customer: Customer) => customer.customerId.trim() || `email:${customer.email.trim().toLowerCase()}`;

/**
 * Each customer's Zoho contact id: from an in-process LRU, else the
 * zoho_contacts collection, else Zoho (a lookup by email, or a new contact),
 * then remembered in both. Two orders of one new customer in this replica
 * share one lookup; across replicas the first stored contact wins, and a
 * contact made by the loser stays unused in Zoho (logged).
 */
export class ContactDirectory {
  readonly #store: ContactStore;
  readonly #zoho: ContactLookup;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #cache: Lru<string, string>;
  readonly #inFlight = new Map<string, Promise<string>>();

  constructor(options: { store: ContactStore; zoho: ContactLookup; logger: Logger; now?: () => Date; capacity?: number }) {
    this.#store = options.store;
    this.#zoho = options.zoho;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#cache = new Lru(options.capacity ?? 10_000);
  }

  /** The customer's Zoho contact id. */
  async resolve(customer: Customer, ctx: CallContext): Promise<string> {
    const key = customerKeyOf(customer);
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const inFlight = this.#inFlight.get(key);
    if (inFlight) return inFlight;
    const lookup = this.#lookUp(key, customer, ctx).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, lookup);
    return lookup;
  }

  /** Zoho says the contact does not exist (any more): forget it, so the next resolve() asks Zoho again. */
  async forget(customer: Customer, zohoContactId: string): Promise<void> {
    const key = customerKeyOf(customer);
    if (this.#cache.get(key) === zohoContactId) this.#cache.delete(key);
    await this.#store.forget(key, zohoContactId);
    this.#logger.warn({ customerKey: key, zohoContactId }, "zoho contact no longer exists; forgotten");
  }

  async #lookUp(key: string, customer: Customer, ctx: CallContext): Promise<string> {
    const stored = await this.#store.find(key);
    if (stored) {
      this.#cache.set(key, stored.zohoContactId);
      return stored.zohoContactId;
    }
    const found =
      (await this.#zoho.findContactByEmail(customer.email, ctx)) ??
      // The T2Mobile customer id in the notes lets support find the contact from either side.
      (await this.#zoho.createContact({ name: customer.name, email: customer.email, phone: customer.phone, notes: `T2Mobile customer ${customer.customerId}` }, ctx));
    const kept = await this.#store.insertOrGet({ customerKey: key, zohoContactId: found.contactId, email: customer.email, createdAt: this.#now() });
    if (kept.zohoContactId !== found.contactId) {
      this.#logger.warn({ customerKey: key, kept: kept.zohoContactId, unused: found.contactId }, "another replica stored this customer's zoho contact first; using it");
    }
    this.#cache.set(key, kept.zohoContactId);
    return kept.zohoContactId;
  }
}
