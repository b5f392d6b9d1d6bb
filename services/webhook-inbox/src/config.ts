import { baseConfigShape, loadConfig, port, secret, type Environment } from "@t2m/platform";
import { DefaultPorts, SandboxDefaults } from "@t2m/topology";
import { Webhook } from "standardwebhooks";
import { z } from "zod";

/** A secret the standardwebhooks library accepts: `whsec_` + base64 of the key. */
export function isWebhookSecret(value: string): boolean {
  if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  try {
    new Webhook(value);
    return true;
  } catch {
    return false;
  }
}

export function loadInboxConfig(env: Environment = process.env) {
  return loadConfig(
    "webhook-inbox",
    (ctx) =>
      z.object({
        ...baseConfigShape,
        PORT: port(DefaultPorts.webhookInbox),
        T2MOBILE_WEBHOOK_SECRET: secret(ctx, SandboxDefaults.t2mobileWebhookSecret).refine(isWebhookSecret, {
          message: "must be a Standard Webhooks secret: whsec_ followed by base64",
        }),
        /** More secrets a webhook may be signed with (space- or comma-separated), as during a rotation. */
        T2MOBILE_WEBHOOK_SECRETS: z
          .string()
          .default("")
          .transform((raw) => raw.split(/[\s,]+/).filter(Boolean))
          .refine((list) => list.every(isWebhookSecret), { message: "must be Standard Webhooks secrets separated by spaces" }),
        /** Messages kept in memory, newest last; older ones are dropped (a load test's thousands of orders fit). */
        WEBHOOK_INBOX_CAPACITY: z.coerce.number().int().min(1).max(1_000_000).default(50_000),
      }),
    env,
  );
}

export type InboxConfig = ReturnType<typeof loadInboxConfig>;

/** Every secret the inbox verifies with. */
export const inboxSecrets = (config: InboxConfig): string[] => [...new Set([config.T2MOBILE_WEBHOOK_SECRET, ...config.T2MOBILE_WEBHOOK_SECRETS])];
