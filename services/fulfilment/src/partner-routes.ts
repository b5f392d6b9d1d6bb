import type { ConnectRouter } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, invalidArgument, reasonedError, type Logger } from "@t2m/platform";
import { PartnerService, PartnerStatus, type PartnerSchema } from "@t2m/proto/partners/v1/partners";
import {
  bootstrap,
  checkPartnerId,
  issueKey,
  newApiKey,
  newPartner,
  newWebhookSecret,
  PartnerRejected,
  revokeKey,
  setRateLimit,
  setStatus,
  setWebhook,
  type PartnerRecord,
} from "./domain/partner.js";
import { PartnerStore } from "./adapters/partner-store.js";

const ts = (date: Date | undefined) => (date ? timestampFromDate(date) : undefined);

const STATUS_TO_PROTO = { ACTIVE: PartnerStatus.ACTIVE, SUSPENDED: PartnerStatus.SUSPENDED } as const;

/** A partner as operators see it: key prefixes and secret counts, never a digest or a secret. */
export function partnerView(partner: PartnerRecord, lastUsed: ReadonlyMap<string, Date> = new Map()): MessageInitShape<typeof PartnerSchema> {
  return {
    partnerId: partner.partnerId,
    name: partner.name,
    status: STATUS_TO_PROTO[partner.status],
    rateLimitPerMinute: partner.rateLimitPerMinute,
    apiKeys: partner.keys.map((k) => ({
      keyId: k.keyId,
      prefix: k.prefix,
      createdAt: ts(k.createdAt),
      revokedAt: ts(k.revokedAt),
      lastUsedAt: ts(lastUsed.get(PartnerStore.usageKey(partner.partnerId, k.keyId))),
      source: k.source,
    })),
    webhook: partner.webhook
      ? { url: partner.webhook.url, signingSecrets: partner.webhook.secrets.length, source: partner.webhook.source, updatedAt: ts(partner.webhook.updatedAt) }
      : undefined,
    createdAt: ts(partner.createdAt),
    updatedAt: ts(partner.updatedAt),
    version: partner.version,
  };
}

function rpcError(err: unknown): unknown {
  if (!(err instanceof PartnerRejected)) return err;
  switch (err.reason) {
    case "INVALID_ARGUMENT":
      return invalidArgument([{ field: err.field, description: err.message }]);
    case "NOT_FOUND":
      return reasonedError(Code.NotFound, "PARTNER_NOT_FOUND", err.message);
    case "ALREADY_EXISTS":
      return reasonedError(Code.AlreadyExists, "PARTNER_EXISTS", err.message);
    case "FAILED_PRECONDITION":
      return reasonedError(Code.FailedPrecondition, "PARTNER_LIMIT", err.message);
  }
}

/** The partners' registry: every change is a versioned claim (PartnerStore), retried when another change came first. */
export class PartnerRegistry {
  constructor(
    readonly store: PartnerStore,
    readonly production: boolean,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async get(partnerId: string): Promise<PartnerRecord> {
    checkPartnerId(partnerId);
    const partner = await this.store.find(partnerId);
    if (!partner) throw new PartnerRejected("NOT_FOUND", "partner_id", `no partner "${partnerId}"`);
    return partner;
  }

  async create(input: { partnerId: string; name: string; rateLimitPerMinute: number }): Promise<PartnerRecord> {
    const partner = newPartner(input, this.clock());
    if ((await this.store.find(input.partnerId)) || !(await this.store.claim(partner))) {
      throw new PartnerRejected("ALREADY_EXISTS", "partner_id", `partner "${input.partnerId}" exists`);
    }
    this.logger.info({ partnerId: partner.partnerId }, "partner created");
    return partner;
  }

  /** Applies `change` to the newest version and claims the next; undefined from `change` means nothing to store. */
  async change<T = undefined>(partnerId: string, change: (partner: PartnerRecord, now: Date) => { partner: PartnerRecord | undefined; extra?: T }): Promise<{ partner: PartnerRecord; extra?: T }> {
    for (let tries = 0; ; tries++) {
      const current = await this.get(partnerId);
      const { partner, extra } = change(current, this.clock());
      if (!partner) return { partner: current, extra };
      if (await this.store.claim({ ...partner, version: current.version + 1 })) return { partner: { ...partner, version: current.version + 1 }, extra };
      if (tries >= 8) throw new Error(`could not change partner ${partnerId}: too many concurrent changes`);
    }
  }

  /** Creates the partner if missing, then applies what a service was configured with. */
  async bootstrap(input: { partnerId: string; name: string; apiKeySha256?: string; apiKeyPrefix?: string; webhook?: { url: string; secrets: string[] } }): Promise<PartnerRecord> {
    checkPartnerId(input.partnerId);
    if (!(await this.store.find(input.partnerId))) {
      // Several replicas may bootstrap at once: only one claims version 1, the others go on to change it.
      await this.store.claim(newPartner({ partnerId: input.partnerId, name: input.name || input.partnerId, rateLimitPerMinute: 0 }, this.clock()));
    }
    const { partner } = await this.change(input.partnerId, (p, now) => ({ partner: bootstrap(p, input, now, this.production) }));
    return partner;
  }
}

/** PartnerService, served by fulfilment. */
export function partnerRoutes(registry: PartnerRegistry) {
  const store = registry.store;
  const view = async (partner: PartnerRecord) => partnerView(partner, await store.lastUsed());
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw rpcError(err);
    }
  };

  return (router: ConnectRouter) =>
    router.service(PartnerService, {
      createPartner: (req) =>
        guard(async () => {
          let partner = await registry.create({ partnerId: req.partnerId, name: req.name, rateLimitPerMinute: req.rateLimitPerMinute });
          let apiKey = "";
          if (req.issueApiKey) {
            apiKey = newApiKey();
            partner = (await registry.change(partner.partnerId, (p, now) => ({ partner: issueKey(p, apiKey, now).partner }))).partner;
          }
          return { partner: await view(partner), apiKey };
        }),
      getPartner: (req) => guard(async () => ({ partner: await view(await registry.get(req.partnerId)) })),
      listPartners: () =>
        guard(async () => {
          const lastUsed = await store.lastUsed();
          return { partners: (await store.all()).map((p) => partnerView(p, lastUsed)) };
        }),
      issueApiKey: (req) =>
        guard(async () => {
          const apiKey = newApiKey();
          const { partner, extra } = await registry.change(req.partnerId, (p, now) => {
            const issued = issueKey(p, apiKey, now);
            return { partner: issued.partner, extra: issued.record };
          });
          const full = await view(partner);
          return { partner: full, key: full.apiKeys?.find((k) => k.keyId === extra?.keyId), apiKey };
        }),
      revokeApiKey: (req) =>
        guard(async () => {
          const { partner } = await registry.change(req.partnerId, (p, now) => ({ partner: revokeKey(p, req.keyId, now) }));
          return { partner: await view(partner) };
        }),
      setWebhook: (req) =>
        guard(async () => {
          const generated = req.generateSecret ? newWebhookSecret() : "";
          const secrets = [...req.secrets, ...(generated ? [generated] : [])];
          const { partner } = await registry.change(req.partnerId, (p, now) => ({ partner: setWebhook(p, { url: req.url, secrets }, "operator", now, registry.production) }));
          return { partner: await view(partner), generatedSecret: generated };
        }),
      setRateLimit: (req) =>
        guard(async () => {
          const { partner } = await registry.change(req.partnerId, (p, now) => ({ partner: setRateLimit(p, req.rateLimitPerMinute, now) }));
          return { partner: await view(partner) };
        }),
      setPartnerStatus: (req) =>
        guard(async () => {
          const status = req.status === PartnerStatus.ACTIVE ? "ACTIVE" : req.status === PartnerStatus.SUSPENDED ? "SUSPENDED" : undefined;
          if (!status) throw invalidArgument([{ field: "status", description: "must be ACTIVE or SUSPENDED" }]);
          const { partner } = await registry.change(req.partnerId, (p, now) => ({ partner: setStatus(p, status, now) }));
          return { partner: await view(partner) };
        }),
      getPartnerDirectory: () =>
        guard(async () => ({
          partners: (await store.all()).map((p) => ({
            partnerId: p.partnerId,
            status: STATUS_TO_PROTO[p.status],
            rateLimitPerMinute: p.rateLimitPerMinute,
            keys: p.keys.map((k) => ({ keyId: k.keyId, sha256: k.sha256, revoked: k.revokedAt !== undefined })),
            webhookUrl: p.webhook?.url ?? "",
            webhookSecrets: [...(p.webhook?.secrets ?? [])],
            webhookSource: p.webhook?.source ?? "",
          })),
        })),
      bootstrapPartner: (req) =>
        guard(async () => {
          const partner = await registry.bootstrap({
            partnerId: req.partnerId,
            name: req.name,
            ...(req.apiKeySha256 ? { apiKeySha256: req.apiKeySha256, apiKeyPrefix: req.apiKeyPrefix } : {}),
            ...(req.webhookUrl ? { webhook: { url: req.webhookUrl, secrets: [...req.webhookSecrets] } } : {}),
          });
          return { partner: await view(partner) };
        }),
      recordKeyUsage: (req) =>
        guard(async () => {
          if (req.uses.length > 10_000) throw invalidArgument([{ field: "uses", description: "at most 10000 per call" }]);
          for (const use of req.uses) {
            if (!use.lastUsedAt) continue;
            checkPartnerId(use.partnerId);
            await store.recordUse(use.partnerId, use.keyId, timestampDate(use.lastUsedAt));
          }
          return {};
        }),
    });
}
