import { baseConfigShape, natsConfigShape, natsCredentialsShape, mongoConfigShape, loadConfig, port, rpcTokenShape, secret, url } from "@t2m/platform";
import { DefaultPorts, localUrl, SandboxDefaults } from "@t2m/topology";
import { z } from "zod";

export function loadGatewayConfig(env?: Record<string, string | undefined>) {
  return loadConfig(
    "gateway",
    (ctx) =>
      z.object({
        ...baseConfigShape,
        PORT: port(DefaultPorts.gateway),
        T2MOBILE_API_KEY: secret(ctx, SandboxDefaults.t2mobileApiKey, 16),
        CATALOGUE_URL: url(["http:", "https:"]).default(localUrl(DefaultPorts.catalogue)),
        FULFILMENT_URL: url(["http:", "https:"]).default(localUrl(DefaultPorts.fulfilment)),
        /** Subscriptions (reads, revocation) are provisioning's. */
        PROVISIONING_URL: url(["http:", "https:"]).default(localUrl(DefaultPorts.provisioning)),
        NATS_URL: natsConfigShape.NATS_URL,
        ...natsCredentialsShape(ctx, "gateway", SandboxDefaults.natsPasswords.gateway),
        ...rpcTokenShape(ctx, "gateway", SandboxDefaults.rpcTokens.gateway),
        ...mongoConfigShape,
        /** Requests per minute per partner and budget (placing orders; reads), all replicas together, unless the partner has its own. */
        RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(100),
        /** How often the partners' keys are read again (a revoked key stops working within this). */
        PARTNER_REFRESH_MS: z.coerce.number().int().min(100).default(5_000),
        /** How often last-used times of keys are reported. */
        KEY_USAGE_FLUSH_MS: z.coerce.number().int().min(100).default(60_000),
        /** How long a request waits for an earlier one with the same Idempotency-Key before answering 409. */
        IDEMPOTENCY_WAIT_MS: z.coerce.number().int().min(0).default(5_000),
        BODY_LIMIT_BYTES: z.coerce.number().int().min(1_024).default(16_384),
        /** Set when behind a load balancer so client addresses come from X-Forwarded-For. */
        TRUST_PROXY: z.stringbool().default(false),
      }),
    env,
  );
}

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;
