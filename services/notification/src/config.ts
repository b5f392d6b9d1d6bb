import {
  baseConfigShape,
  DefaultPorts,
  intList,
  loadConfig,
  localUrl,
  port,
  SandboxDefaults,
  sandboxed,
  url,
} from "@t2m/platform";
import { z } from "zod";
import { DEFAULT_RETRY_DELAYS_MS } from "./domain/retry-policy.js";

export function loadNotificationConfig(env?: Record<string, string | undefined>) {
  return loadConfig(
    "notification",
    (ctx) =>
      z.object({
        ...baseConfigShape,
        PORT: port(DefaultPorts.notification),
        NATS_URL: url(["nats:", "tls:"]).default("nats://127.0.0.1:4222"),
        NATS_ACK_WAIT_MS: z.coerce.number().int().min(1_000).default(30_000),
        MONGODB_URL: url(["mongodb:", "mongodb+srv:"]).default("mongodb://127.0.0.1:27017/t2mobile"),
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
