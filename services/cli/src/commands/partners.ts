import { toJson } from "@bufbuild/protobuf";
import {
  CreatePartnerResponseSchema,
  GetPartnerResponseSchema,
  IssueApiKeyResponseSchema,
  ListPartnersResponseSchema,
  PartnerService,
  PartnerStatus,
  RevokeApiKeyResponseSchema,
  SetPartnerStatusResponseSchema,
  SetRateLimitResponseSchema,
  SetWebhookResponseSchema,
  type Partner,
} from "@t2m/proto/partners/v1/partners";
import { enumArgument, nonNegativeInt, positiveInt } from "../domain/values.js";
import { partnerFields, partnerTable } from "../domain/views.js";
import type { CommandGroup } from "./command-group.js";

const status = enumArgument(PartnerStatus, "partner status");

/** A key or secret the platform shows once: printed here, on stdout only, and nowhere else. */
const shownOnce = (what: string, value: string) => `${what} (shown only now; store it safely, it cannot be read again):\n  ${value}\n\n`;

export const partners: CommandGroup = {
  name: "partners",
  description: "Partners, their API keys, webhooks, rate limits and status (PartnerService)",
  register(group, ctx) {
    const api = () => ctx.client(PartnerService);
    const show = (partner: Partner | undefined) => (partner ? partnerFields(partner) : "");

    group
      .command("list")
      .description("every partner")
      .action(async () => {
        const res = await api().listPartners({});
        ctx.print({ json: toJson(ListPartnersResponseSchema, res), text: partnerTable(res.partners) });
      });

    group
      .command("get")
      .description("one partner with its keys (by prefix and last use) and webhook")
      .argument("<partnerId>")
      .action(async (partnerId: string) => {
        const res = await api().getPartner({ partnerId });
        ctx.print({ json: toJson(GetPartnerResponseSchema, res), text: show(res.partner) });
      });

    group
      .command("create")
      .description("a new partner (lowercase letters, digits and -, 2 to 32, starting with a letter)")
      .argument("<partnerId>")
      .requiredOption("--name <name>", "the partner's display name")
      .option("--rate-limit <perMinute>", "requests per minute per budget (default: the platform's)", positiveInt(1_000_000))
      .option("--issue-key", "issue its first API key now (printed once)")
      .action(async (partnerId: string, opts: { name: string; rateLimit?: number; issueKey?: boolean }) => {
        const res = await api().createPartner({ partnerId, name: opts.name, rateLimitPerMinute: opts.rateLimit ?? 0, issueApiKey: opts.issueKey ?? false });
        ctx.print({ json: toJson(CreatePartnerResponseSchema, res), text: (res.apiKey ? shownOnce("API key", res.apiKey) : "") + show(res.partner) });
      });

    group
      .command("issue-key")
      .description("a new API key beside the partner's others (printed once)")
      .argument("<partnerId>")
      .action(async (partnerId: string) => {
        const res = await api().issueApiKey({ partnerId });
        ctx.print({ json: toJson(IssueApiKeyResponseSchema, res), text: shownOnce(`API key ${res.key?.keyId ?? ""}`, res.apiKey) + show(res.partner) });
      });

    group
      .command("revoke-key")
      .description("revoke one API key: every gateway refuses it within PARTNER_REFRESH_MS")
      .argument("<partnerId>")
      .argument("<keyId>", "the key's id (key_…, from partners get)")
      .action(async (partnerId: string, keyId: string) => {
        const res = await api().revokeApiKey({ partnerId, keyId });
        ctx.print({ json: toJson(RevokeApiKeyResponseSchema, res), text: show(res.partner) });
      });

    group
      .command("set-webhook")
      .description("where the partner's webhooks go and the secrets that sign them (every secret signs every message)")
      .argument("<partnerId>")
      .argument("<url>", "https (http outside production)")
      .option("--secret <whsec>", "a signing secret (whsec_…); repeat for a rotation's overlap", (value: string, previous: string[] = []) => [...previous, value])
      .option("--generate-secret", "add a newly made secret (printed once)")
      .action(async (partnerId: string, url: string, opts: { secret?: string[]; generateSecret?: boolean }) => {
        const res = await api().setWebhook({ partnerId, url, secrets: opts.secret ?? [], generateSecret: opts.generateSecret ?? false });
        ctx.print({ json: toJson(SetWebhookResponseSchema, res), text: (res.generatedSecret ? shownOnce("signing secret", res.generatedSecret) : "") + show(res.partner) });
      });

    group
      .command("set-rate-limit")
      .description("requests per minute per budget (orders; reads) across every gateway; 0: the platform's default")
      .argument("<partnerId>")
      .argument("<perMinute>", "a whole number, 0 for the default", nonNegativeInt)
      .action(async (partnerId: string, perMinute: number) => {
        const res = await api().setRateLimit({ partnerId, rateLimitPerMinute: perMinute });
        ctx.print({ json: toJson(SetRateLimitResponseSchema, res), text: show(res.partner) });
      });

    group
      .command("set-status")
      .description("active, or suspended (every request answers 403 PARTNER_SUSPENDED)")
      .argument("<partnerId>")
      .argument("<status>", status.names.join(" | "), status)
      .action(async (partnerId: string, partnerStatus: PartnerStatus) => {
        const res = await api().setPartnerStatus({ partnerId, status: partnerStatus });
        ctx.print({ json: toJson(SetPartnerStatusResponseSchema, res), text: show(res.partner) });
      });
  },
};
