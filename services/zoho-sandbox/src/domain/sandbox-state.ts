import type { SeedItem } from "./catalogue.js";
import { FaultPlan, SandboxOperations, type Fault, type SandboxOperation } from "./faults.js";
import { SandboxOrg, type Clock, type OrgSnapshot } from "./org.js";
import { ConcurrencyLimiter, SlidingWindowRateLimiter } from "./rate-limit.js";
import { AccessTokens, type OAuthCredentials } from "./tokens.js";

export interface SandboxSettings {
  readonly organizationId: string;
  readonly credentials: OAuthCredentials;
  readonly tokenTtlSeconds: number;
  /** Requests per minute per organisation; 0 turns the limit off. */
  readonly rateLimitPerMinute: number;
  /** The rate limit's sliding window; Zoho's is a minute (the default). Shorter only for tests. */
  readonly rateLimitWindowMs?: number;
  /** Requests in flight at once per organisation; 0 (the default) turns the limit off. */
  readonly maxConcurrent?: number;
  readonly currencyCode: string;
  readonly items: readonly SeedItem[];
  readonly now?: Clock;
  /** A saved organisation to continue from (the state file). */
  readonly restore?: OrgSnapshot;
  /** Where a fresh id sequence starts; default from the real clock. */
  readonly idSeed?: number;
  /** Told after every change to the organisation, e.g. to save the state file. */
  readonly onChange?: () => void;
  /** For faults with a probability; default Math.random. */
  readonly random?: () => number;
}

export interface RequestCount {
  total: number;
  /** By HTTP status, e.g. {"201": 2, "400": 1}. */
  byStatus: Record<string, number>;
}

/** What GET /__sandbox/state shows. */
export interface SandboxSnapshot {
  readonly organizationId: string;
  readonly items: number;
  readonly contacts: { contact_id: string; contact_name: string; emails: string[] }[];
  readonly salesOrders: { salesorder_id: string; salesorder_number: string; status: string; customer_id: string; customer_name: string; total: number }[];
  readonly tokens: { issued: number; live: number };
  readonly faults: Fault[];
  readonly requests: Record<SandboxOperation, RequestCount>;
  /** The limits enforced, calls in flight now and the most ever in flight at once (since the last reset). */
  readonly limits: { ratePerMinute: number; maxConcurrent: number; inFlight: number; peakInFlight: number };
}

/** Everything the sandbox knows: the organisation, its tokens, planned faults, rate limit and request counts. */
export class ZohoSandboxState {
  readonly organizationId: string;
  readonly org: SandboxOrg;
  readonly tokens: AccessTokens;
  readonly faults = new FaultPlan();
  readonly rateLimiter: SlidingWindowRateLimiter;
  readonly concurrency: ConcurrencyLimiter;
  readonly random: () => number;
  #requests = emptyCounts();

  constructor(settings: SandboxSettings) {
    const now = settings.now ?? Date.now;
    this.organizationId = settings.organizationId;
    this.org = new SandboxOrg({
      currencyCode: settings.currencyCode,
      items: settings.items,
      now,
      restore: settings.restore,
      idSeed: settings.idSeed,
      onChange: settings.onChange,
    });
    this.tokens = new AccessTokens({ credentials: settings.credentials, ttlSeconds: settings.tokenTtlSeconds, now });
    this.rateLimiter = new SlidingWindowRateLimiter({ limit: settings.rateLimitPerMinute, windowMs: settings.rateLimitWindowMs ?? 60_000, now });
    this.concurrency = new ConcurrencyLimiter(settings.maxConcurrent ?? 0);
    this.random = settings.random ?? Math.random;
  }

  recordRequest(operation: SandboxOperation, httpStatus: number): void {
    const count = this.#requests[operation];
    count.total++;
    count.byStatus[httpStatus] = (count.byStatus[httpStatus] ?? 0) + 1;
  }

  snapshot(): SandboxSnapshot {
    return {
      organizationId: this.organizationId,
      items: this.org.itemCount,
      contacts: this.org.contacts().map((c) => ({
        contact_id: c.contact_id,
        contact_name: c.contact_name,
        emails: c.contact_persons.map((p) => p.email).filter((e) => e !== ""),
      })),
      salesOrders: this.org.salesOrders().map((o) => ({
        salesorder_id: o.salesorder_id,
        salesorder_number: o.salesorder_number,
        status: o.status,
        customer_id: o.customer_id,
        customer_name: o.customer_name,
        total: o.total,
      })),
      tokens: { issued: this.tokens.issuedCount, live: this.tokens.liveCount },
      faults: this.faults.list(),
      requests: structuredClone(this.#requests),
      limits: {
        ratePerMinute: this.rateLimiter.limit,
        maxConcurrent: this.concurrency.limit,
        inFlight: this.concurrency.inFlight(this.organizationId),
        peakInFlight: this.concurrency.peak,
      },
    };
  }

  /** Back to a fresh organisation: only the seeded items remain. */
  reset(): void {
    this.org.reset();
    this.tokens.reset();
    this.faults.clear();
    this.rateLimiter.reset();
    this.concurrency.resetPeak();
    this.#requests = emptyCounts();
  }
}

function emptyCounts(): Record<SandboxOperation, RequestCount> {
  return Object.fromEntries(SandboxOperations.map((op) => [op, { total: 0, byStatus: {} }])) as Record<SandboxOperation, RequestCount>;
}
