import { createHash } from "node:crypto";
import type { KV } from "@t2m/platform";
import { emptyBudget, type BudgetState } from "../domain/budget.js";
import type { BudgetStore } from "../domain/call-budget.js";

/**
 * The shared Zoho call budget of one organisation in a NATS KV bucket
 * (KvBuckets.zohoBudget), one key per organisation. nats-server 2.9 has no
 * per-key TTL, so leases carry their own expiry in the value; writes are
 * compare-and-set on the key's revision (kv.create for the first, then
 * kv.update), so replicas never overwrite each other's grants.
 */
export class KvBudgetStore implements BudgetStore {
  constructor(
    private readonly kv: KV,
    readonly key: string,
  ) {}

  /**
   * The key for an organisation: a digest, so the organisation id (treated
   * as a secret) never appears in NATS.
   */
  static keyFor(organizationId: string): string {
    return `org_${createHash("sha256").update(organizationId).digest("hex").slice(0, 24)}`;
  }

  async read(): Promise<{ state: BudgetState; version: number }> {
    const entry = await this.kv.get(this.key);
    if (!entry) return { state: emptyBudget, version: 0 };
    if (entry.operation !== "PUT") return { state: emptyBudget, version: entry.revision };
    return { state: decode(entry.string()), version: entry.revision };
  }

  async write(state: BudgetState, version: number): Promise<boolean> {
    const value = JSON.stringify({ v: 1, grants: state.grants, leases: state.leases, pausedUntil: state.pausedUntil });
    try {
      if (version === 0) await this.kv.create(this.key, value);
      else await this.kv.update(this.key, value, version);
      return true;
    } catch (err) {
      // A compare-and-set refused because someone wrote first reads back as a newer revision.
      const current = await this.kv.get(this.key);
      if ((current?.revision ?? 0) !== version) return false;
      throw err;
    }
  }
}

/** A value this code cannot read (another version, corruption) counts as an empty budget; the next write replaces it. */
function decode(text: string): BudgetState {
  try {
    const raw = JSON.parse(text) as { v?: unknown; grants?: unknown; leases?: unknown; pausedUntil?: unknown };
    const grants = Array.isArray(raw.grants) ? raw.grants.filter((g): g is number => typeof g === "number") : [];
    const leases = Array.isArray(raw.leases)
      ? raw.leases.filter(
          (l): l is { id: string; expiresAt: number } =>
            typeof l === "object" && l !== null && typeof (l as { id?: unknown }).id === "string" && typeof (l as { expiresAt?: unknown }).expiresAt === "number",
        )
      : [];
    return { grants: grants.sort((a, b) => a - b), leases, pausedUntil: typeof raw.pausedUntil === "number" ? raw.pausedUntil : 0 };
  } catch {
    return emptyBudget;
  }
}
