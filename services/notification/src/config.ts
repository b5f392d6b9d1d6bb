import { baseConfigShape, natsConfigShape, natsCredentialsShape, mongoConfigShape, intList, loadConfig, port, rpcCallersShape, rpcTokenShape, sandboxed, url } from "@t2m/platform";
import { DefaultPorts, localUrl, RpcCallersOf, SandboxDefaults } from "@t2m/topology";
import { z } from "zod";
import { DEFAULT_PARTNER_ID } from "@t2m/topology";
import { isWebhookSecret, splitSecrets, type Endpoint } from "./adapters/endpoints.js";
import { defaultDisableRules } from "./domain/endpoint-health.js";
import { DEFAULT_RETRY_DELAYS_MS, defaultRetrySchedule, parseDelaysByType, type RetrySchedule } from "./domain/retry-policy.js";

const ms = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const SECRET_MESSAGE = "must be a Standard Webhooks secret (whsec_ followed by base64)";

export function loadNotificationConfig(env?: Record<string, string | undefined>) {
  return loadConfig(
    "notification",
    (ctx) =>
      z.object({
        ...baseConfigShape,
        PORT: port(DefaultPorts.notification),
        ...natsConfigShape,
        ...natsCredentialsShape(ctx, "notification", SandboxDefaults.natsPasswords.notification),
        ...rpcTokenShape(ctx, "notification", SandboxDefaults.rpcTokens.notification),
        ...rpcCallersShape(ctx, RpcCallersOf.notification, (caller) => SandboxDefaults.rpcTokens[caller]),
        ...mongoConfigShape,
        /** The forgery guard reads the stored order from fulfilment. */
        FULFILMENT_URL: url(["http:", "https:"]).default(localUrl(DefaultPorts.fulfilment)),
        /** The forgery guard of subscription events reads the stored subscription from provisioning. */
        PROVISIONING_URL: url(["http:", "https:"]).default(localUrl(DefaultPorts.provisioning)),
        // Production webhooks carry customer data, so only HTTPS there.
        T2MOBILE_WEBHOOK_URL: sandboxed(
          ctx,
          ctx.production ? url(["https:"]) : url(["https:", "http:"]),
          `${localUrl(DefaultPorts.webhookInbox)}/webhooks/t2mobile`,
        ),
        T2MOBILE_WEBHOOK_SECRET: sandboxed(ctx, z.string().refine(isWebhookSecret, SECRET_MESSAGE), SandboxDefaults.t2mobileWebhookSecret),
        /** More secrets that sign beside T2MOBILE_WEBHOOK_SECRET (space- or comma-separated), for a rotation's overlap. */
        T2MOBILE_WEBHOOK_SECRETS: z
          .string()
          .default("")
          .refine((raw) => splitSecrets(raw).every(isWebhookSecret), `each ${SECRET_MESSAGE}, separated by spaces`)
          .transform(splitSecrets),
        WEBHOOK_RETRY_DELAYS_MS: intList([...DEFAULT_RETRY_DELAYS_MS]),
        /** How often partners' webhook URLs and secrets are read again from fulfilment's PartnerService. */
        PARTNER_REFRESH_MS: ms(5_000, 100),
        /** Per event type, e.g. ORDER_FAILED=10000,60000;ORDER_FULFILLED=30000,120000 */
        WEBHOOK_RETRY_DELAYS_BY_TYPE: z
          .string()
          .default("")
          .transform((raw, c) => {
            try {
              return parseDelaysByType(raw);
            } catch (err) {
              c.addIssue({ code: "custom", message: `must be TYPE=ms,ms;TYPE=ms,… (${(err as Error).message})` });
              return z.NEVER;
            }
          }),
        WEBHOOK_RETRY_JITTER: z.coerce.number().min(0).max(0.5).default(defaultRetrySchedule.jitter),
        /** After a 429 or a timeout, the next attempt waits at least this long. */
        WEBHOOK_THROTTLE_FLOOR_MS: ms(defaultRetrySchedule.throttleFloorMs),
        /** Retry-After is honoured up to this long. */
        WEBHOOK_RETRY_AFTER_MAX_MS: ms(defaultRetrySchedule.retryAfterMaxMs),
        WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(15_000),
        WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
        /** How long a claimed attempt holds its message before a sweep takes over; longer than WEBHOOK_TIMEOUT_MS. */
        WEBHOOK_ATTEMPT_LEASE_MS: ms(60_000, 1_000),
        WEBHOOK_ENDPOINT_DISABLE_AFTER_DEAD: z.coerce.number().int().min(1).default(defaultDisableRules.afterDeadInARow),
        WEBHOOK_ENDPOINT_DISABLE_AFTER_MS: ms(defaultDisableRules.afterFailingMs, 1_000),
        /** How often the gauges (dead, oldest undelivered, endpoint disabled, jobs) are refreshed. */
        WEBHOOK_STATS_INTERVAL_MS: ms(15_000, 100),
        /** Messages the webhook-retry job attempts at once. */
        WEBHOOK_SWEEP_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
        /**
         * How often the service itself sweeps its working set (and once at start): a restarted
         * process takes up the retries its predecessor's timers held, without waiting for the job.
         */
        WEBHOOK_SWEEP_INTERVAL_MS: ms(30_000, 100),
      }),
    env,
  );
}

export type NotificationConfig = ReturnType<typeof loadNotificationConfig>;

export function retryScheduleOf(config: NotificationConfig): RetrySchedule {
  return {
    delaysMs: config.WEBHOOK_RETRY_DELAYS_MS,
    delaysByType: config.WEBHOOK_RETRY_DELAYS_BY_TYPE,
    jitter: config.WEBHOOK_RETRY_JITTER,
    throttleFloorMs: config.WEBHOOK_THROTTLE_FLOOR_MS,
    retryAfterMaxMs: config.WEBHOOK_RETRY_AFTER_MAX_MS,
  };
}

/** T2Mobile's endpoint as this process is configured (T2MOBILE_WEBHOOK_URL and its secrets). */
export function configuredEndpoint(config: NotificationConfig): Endpoint {
  return { id: DEFAULT_PARTNER_ID, url: config.T2MOBILE_WEBHOOK_URL, secrets: [...new Set([config.T2MOBILE_WEBHOOK_SECRET, ...config.T2MOBILE_WEBHOOK_SECRETS])] };
}
