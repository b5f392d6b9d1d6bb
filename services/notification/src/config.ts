import { baseConfigShape, natsConfigShape, mongoConfigShape, intList, loadConfig, port, sandboxed, url } from "@t2m/platform";
import { DefaultPorts, localUrl, SandboxDefaults } from "@t2m/topology";
import { z } from "zod";
import { DEFAULT_RETRY_DELAYS_MS } from "./domain/retry-policy.js";

export function loadNotificationConfig(env?: Record<string, string | undefined>) {
  return loadConfig(
    "notification",
    (ctx) =>
      z.object({
        ...baseConfigShape,
        PORT: port(DefaultPorts.notification),
        ...natsConfigShape,
        ...mongoConfigShape,
        // Production webhooks carry customer data, so only HTTPS there.
        T2MOBILE_WEBHOOK_URL: sandboxed(
          ctx,
          ctx.production ? url(["https:"]) : url(["https:", "http:"]),
          `${localUrl(DefaultPorts.webhookInbox)}/webhooks/t2mobile`,
        ),
        T2MOBILE_WEBHOOK_SECRET: sandboxed(
          ctx,
          z.string().regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, "must be a Standard Webhooks secret (whsec_ followed by base64)"),
          SandboxDefaults.t2mobileWebhookSecret,
        ),
        WEBHOOK_RETRY_DELAYS_MS: intList(DEFAULT_RETRY_DELAYS_MS),
        WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(15_000),
        WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
      }),
    env,
  );
}

export type NotificationConfig = ReturnType<typeof loadNotificationConfig>;
