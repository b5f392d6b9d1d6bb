import { isDuplicateKeyError, type Database } from "@t2m/platform";
import type { Collection } from "mongodb";
import type { PartnerRecord } from "../domain/partner.js";

export const PARTNERS_COLLECTION = "partners";
export const PARTNER_VERSIONS_COLLECTION = "partner_versions";
export const KEY_USAGE_COLLECTION = "api_key_usage";

type PartnerDocument = PartnerRecord & { _id: string };
type VersionDocument = PartnerRecord & { _id: string };
type UsageDocument = { _id: string; partnerId: string; keyId: string; lastUsedAt: Date };

const versionId = (partnerId: string, version: number) => `${partnerId}#${version}`;
const usageId = (partnerId: string, keyId: string) => `${partnerId}/${keyId}`;

function strip<T extends { _id: string }>(doc: T | null | undefined): Omit<T, "_id"> | undefined {
  if (!doc) return undefined;
  const { _id, ...rest } = doc;
  return rest;
}

/**
 * Partners in MongoDB. FerretDB applies an update as read-then-replace, so
 * two replicas changing one partner at once could lose a change; instead
 * every change claims the partner's next version by a unique insert into
 * partner_versions (`<partnerId>#<version>`, the whole new state: also the
 * history of who had which key and webhook when), then writes the current
 * state to `partners`. A reader takes `partners` and probes the next
 * versions, so a projection that a slower writer left behind is never
 * believed. Key use lives apart (api_key_usage), written at most once a
 * minute per key and gateway replica: a lost write there only makes a
 * last-used time a little older.
 */
export class PartnerStore {
  private readonly partners: Collection<PartnerDocument>;
  private readonly versions: Collection<VersionDocument>;
  private readonly usage: Collection<UsageDocument>;

  constructor(private readonly database: Database) {
    this.partners = database.collection(PARTNERS_COLLECTION);
    this.versions = database.collection(PARTNER_VERSIONS_COLLECTION);
    this.usage = database.collection(KEY_USAGE_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.database.ensureIndexes(KEY_USAGE_COLLECTION, [{ key: { partnerId: 1 }, options: { name: "partnerId" } }]);
  }

  /** The newest version of a partner; undefined when it does not exist. */
  async find(partnerId: string): Promise<PartnerRecord | undefined> {
    const projected = strip(await this.partners.findOne({ _id: partnerId }));
    return this.newest(partnerId, projected);
  }

  async all(): Promise<PartnerRecord[]> {
    const projected = (await this.partners.find({}).toArray()).map((d) => strip(d)!);
    const newest = await Promise.all(projected.map((p) => this.newest(p.partnerId, p)));
    return newest.filter((p): p is PartnerRecord => p !== undefined).sort((a, b) => a.partnerId.localeCompare(b.partnerId));
  }

  /** Follows claimed versions past the projection (a writer may have claimed one and not projected it yet). */
  private async newest(partnerId: string, projected: PartnerRecord | undefined): Promise<PartnerRecord | undefined> {
    let current = projected;
    // A partner whose version 1 was claimed but never projected still exists.
    for (let version = (current?.version ?? 0) + 1; ; version++) {
      const claimed = strip(await this.versions.findOne({ _id: versionId(partnerId, version) }));
      if (!claimed) return current;
      current = claimed;
    }
  }

  /**
   * Stores `partner` as its version `partner.version`; false when another
   * change claimed that version first (the caller reads again and retries).
   */
  async claim(partner: PartnerRecord): Promise<boolean> {
    try {
      await this.versions.insertOne({ _id: versionId(partner.partnerId, partner.version), ...partner });
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
    await this.partners.replaceOne({ _id: partner.partnerId }, partner, { upsert: true }).catch((err: unknown) => {
      // Another writer projecting at the same moment: the claimed version is what readers follow anyway.
      if (!isDuplicateKeyError(err)) throw err;
    });
    return true;
  }

  /** Last-used times, by partner and key id. */
  async lastUsed(): Promise<Map<string, Date>> {
    const docs = await this.usage.find({}).toArray();
    return new Map(docs.map((d) => [usageId(d.partnerId, d.keyId), d.lastUsedAt]));
  }

  static usageKey(partnerId: string, keyId: string): string {
    return usageId(partnerId, keyId);
  }

  async recordUse(partnerId: string, keyId: string, at: Date): Promise<void> {
    const _id = usageId(partnerId, keyId);
    for (let tries = 0; tries < 2; tries++) {
      try {
        await this.usage.updateOne({ _id }, { $max: { lastUsedAt: at }, $set: { partnerId, keyId } }, { upsert: true });
        return;
      } catch (err) {
        // Two first uses upserting at once: the second retries as an update.
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
  }
}
