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
        NATS_URL: natsConfigShape.NATS_URL,
        ...natsCredentialsShape(ctx, "gateway", SandboxDefaults.natsPasswords.gateway),
        ...rpcTokenShape(ctx, "gateway", SandboxDefaults.rpcTokens.gateway),
        ...mongoConfigShape,
        /** Per API key (or client address when unauthenticated), as the seed's 100/min. */
        RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(100),
        BODY_LIMIT_BYTES: z.coerce.number().int().min(1_024).default(16_384),
        /** Set when behind a load balancer so client addresses come from X-Forwarded-For. */
        TRUST_PROXY: z.stringbool().default(false),
      }),
    env,
  );
}

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;
