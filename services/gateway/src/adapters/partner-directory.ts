import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { repeatEvery, type Logger, type Repeating } from "@t2m/platform";
import { PartnerStatus, type PartnerService } from "@t2m/proto/partners/v1/partners";
import { apiKeyDigest, apiKeyPrefix, DEFAULT_PARTNER_ID } from "@t2m/topology";

/** Who a request's key belongs to. */
export interface Caller {
  readonly partnerId: string;
  readonly keyId: string;
  readonly suspended: boolean;
  /** Requests per minute per budget; 0: the gateway's default. */
  readonly rateLimitPerMinute: number;
}

const BOOTSTRAP_KEY_ID = "env";

/**
 * The partners' keys as the gateway checks them: a map from key digest to
 * partner, refreshed from fulfilment's PartnerService every `refreshMs`
 * (and, at most once a second, when an unknown key arrives, so a key
 * issued a moment ago works at once). A request costs one SHA-256 and a map
 * lookup; nothing is read from a store per request. Revoking a key takes
 * effect within `refreshMs`.
 *
 * The gateway's own T2MOBILE_API_KEY is registered with the directory as a
 * key of "t2mobile" at startup (BootstrapPartner), and accepted before the
 * directory first answers, so a setup made before partners keeps working;
 * once the directory has it revoked, it is refused like any revoked key.
 *
 * Key use is noted in memory and reported every `usageFlushMs` (last-used
 * times, at most once per key and interval): never a write per request.
 */
export class PartnerDirectory {
  private byDigest = new Map<string, Caller>();
  private revoked = new Set<string>();
  private loaded = false;
  private timer: Repeating | undefined;
  private usageTimer: NodeJS.Timeout | undefined;
  private lastMissRefresh = 0;
  private refreshing: Promise<void> | undefined;
  private readonly used = new Map<string, { partnerId: string; keyId: string; at: Date }>();
  private readonly bootstrapDigest: string | undefined;

  constructor(
    private readonly client: Client<typeof PartnerService>,
    private readonly logger: Logger,
    private readonly options: { bootstrapKey?: string; refreshMs: number; usageFlushMs: number },
  ) {
    this.bootstrapDigest = options.bootstrapKey ? apiKeyDigest(options.bootstrapKey) : undefined;
  }

  /** Registers the configured key and loads the directory (retrying in the background if fulfilment does not answer yet). */
  async start(waitMs = 10_000): Promise<void> {
    const first = this.bootstrapAndLoad();
    const waited = await Promise.race([first.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), waitMs).unref())]);
    if (!waited) this.logger.warn("partner directory not loaded yet; only the configured T2MOBILE_API_KEY works until it is");
    this.usageTimer = setInterval(() => void this.flushUsage(), this.options.usageFlushMs).unref();
  }

  private async bootstrapAndLoad(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        if (this.options.bootstrapKey) {
          await this.client.bootstrapPartner({ partnerId: DEFAULT_PARTNER_ID, name: "T2Mobile", apiKeySha256: this.bootstrapDigest!, apiKeyPrefix: apiKeyPrefix(this.options.bootstrapKey) });
        }
        await this.refresh();
        this.schedule();
        return;
      } catch (err) {
        if (attempt % 10 === 0) this.logger.warn({ err }, "partner directory unavailable; retrying");
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  private stopped = false;

  private schedule(): void {
    if (this.stopped) return;
    this.timer = repeatEvery(() => this.refresh(), { intervalMs: this.options.refreshMs, firstDelayMs: this.options.refreshMs, logger: this.logger, failure: "could not refresh the partner directory; keeping the last one" });
  }

  /** Reads every partner's key digests from fulfilment (one refresh at a time). */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const { partners } = await this.client.getPartnerDirectory({});
        const byDigest = new Map<string, Caller>();
        const revoked = new Set<string>();
        for (const p of partners) {
          for (const key of p.keys) {
            if (key.revoked) revoked.add(key.sha256);
            else byDigest.set(key.sha256, { partnerId: p.partnerId, keyId: key.keyId, suspended: p.status === PartnerStatus.SUSPENDED, rateLimitPerMinute: p.rateLimitPerMinute });
          }
        }
        this.byDigest = byDigest;
        this.revoked = revoked;
        this.loaded = true;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** The caller an API key belongs to; undefined for an unknown or revoked key. */
  async authenticate(key: string): Promise<Caller | undefined> {
    const digest = apiKeyDigest(key);
    let caller = this.byDigest.get(digest);
    if (!caller && !this.revoked.has(digest)) {
      // Perhaps a key issued since the last refresh: wait for the refresh under way, or start one (at most one a second for unknown keys).
      if (this.refreshing) await this.refreshing.catch(() => undefined);
      else if (Date.now() - this.lastMissRefresh > 1_000) {
        this.lastMissRefresh = Date.now();
        await this.refresh().catch(() => undefined);
      }
      caller = this.byDigest.get(digest);
    }
    if (!caller && !this.loaded && digest === this.bootstrapDigest) {
      caller = { partnerId: DEFAULT_PARTNER_ID, keyId: BOOTSTRAP_KEY_ID, suspended: false, rateLimitPerMinute: 0 };
    }
    if (caller) this.used.set(`${caller.partnerId}/${caller.keyId}`, { partnerId: caller.partnerId, keyId: caller.keyId, at: new Date() });
    return caller;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** Reports when keys were last used (the ones used since the last report). */
  async flushUsage(): Promise<void> {
    const uses = [...this.used.values()].filter((u) => u.keyId !== BOOTSTRAP_KEY_ID);
    this.used.clear();
    if (uses.length === 0) return;
    try {
      await this.client.recordKeyUsage({ uses: uses.map((u) => ({ partnerId: u.partnerId, keyId: u.keyId, lastUsedAt: timestampFromDate(u.at) })) });
    } catch (err) {
      this.logger.warn({ err, keys: uses.length }, "could not record when keys were last used; will try with the next uses");
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.timer?.stop();
    clearInterval(this.usageTimer);
    await this.flushUsage();
  }
}
