import { createHmac } from "node:crypto";
import { isDuplicateKeyError, type Database } from "@t2m/platform";
import type { Collection } from "mongodb";
import type { LicenceExtension, LicenceProvisioner, LicenceRequest, LicenceRevocation } from "../domain/provisioning.js";

/** What the sandbox provisioner was told, one record per extension or revocation. */
export type LicenceEvent =
  | ({ readonly kind: "extended" } & LicenceExtension)
  | ({ readonly kind: "revoked" } & LicenceRevocation);

/** Where the sandbox provisioner keeps what it was told; a repeat of the same event is kept once. */
export interface LicenceLog {
  record(id: string, event: LicenceEvent): Promise<void>;
}

export const SANDBOX_LICENCE_EVENTS_COLLECTION = "sandbox_licence_events";

/** The sandbox provisioner's log in MongoDB (sandbox_licence_events), for people and tests to read. */
export class MongoLicenceLog implements LicenceLog {
  private readonly collection: Collection<LicenceEvent & { _id: string; recordedAt: Date }>;

  constructor(database: Database) {
    this.collection = database.collection(SANDBOX_LICENCE_EVENTS_COLLECTION);
  }

  async record(id: string, event: LicenceEvent): Promise<void> {
    try {
      await this.collection.insertOne({ _id: id, ...event, recordedAt: new Date() });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }
}

export class MemoryLicenceLog implements LicenceLog {
  readonly events = new Map<string, LicenceEvent>();

  async record(id: string, event: LicenceEvent): Promise<void> {
    if (!this.events.has(id)) this.events.set(id, event);
  }
}

/**
 * Zoho has no public API to provision partner licences (see
 * shared/reference/zoho-api.md §3): in production this step is the Partner
 * Store. This provisioner stands in for it. Its activation reference is
 * derived from the order id, so a repeat for the same order yields the same
 * reference, as an idempotent real provisioner would; extensions and
 * revocations are recorded in its log, once each.
 */
export class SandboxLicenceProvisioner implements LicenceProvisioner {
  /** `key` is SANDBOX_LICENCE_KEY: a secret, since anyone holding it can compute every activation reference. */
  constructor(
    private readonly key: string,
    private readonly log: LicenceLog = new MemoryLicenceLog(),
  ) {}

  async provision(request: LicenceRequest): Promise<{ activationReference: string }> {
    const digest = createHmac("sha256", this.key).update(request.orderId).digest("hex").toUpperCase();
    const product = request.productId.replace(/^ZOHO_/, "").replace(/_/g, "").slice(0, 6);
    return { activationReference: `ZL-${product}-${digest.slice(0, 4)}-${digest.slice(4, 8)}-${digest.slice(8, 12)}` };
  }

  async extend(extension: LicenceExtension): Promise<void> {
    await this.log.record(`extended:${extension.activationReference}:${extension.renewalOrderId}`, { kind: "extended", ...extension });
  }

  async revoke(revocation: LicenceRevocation): Promise<void> {
    await this.log.record(`revoked:${revocation.activationReference}`, { kind: "revoked", ...revocation });
  }
}
