import { baseConfigShape, natsConfigShape, natsCredentialsShape, mongoConfigShape, loadConfig, port, rpcCallersShape, rpcTokenShape, url } from "@t2m/platform";
import { DefaultPorts, localUrl, RpcCallersOf, SandboxDefaults } from "@t2m/topology";
import { z } from "zod";

const ms = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

export function loadFulfilmentConfig(env?: Record<string, string | undefined>) {
  return loadConfig(
    "fulfilment",
    (ctx) =>
      z.object({
        ...baseConfigShape,
        PORT: port(DefaultPorts.fulfilment),
        ...natsConfigShape,
        ...natsCredentialsShape(ctx, "fulfilment", SandboxDefaults.natsPasswords.fulfilment),
        ...rpcTokenShape(ctx, "fulfilment", SandboxDefaults.rpcTokens.fulfilment),
        ...rpcCallersShape(ctx, RpcCallersOf.fulfilment, (caller) => SandboxDefaults.rpcTokens[caller]),
        ...mongoConfigShape,
        CATALOGUE_URL: url(["http:", "https:"]).default(localUrl(DefaultPorts.catalogue)),
        PROVISIONING_URL: url(["http:", "https:"]).default(localUrl(DefaultPorts.provisioning)),
        /** New orders worked on at once by this process (each may wait for Zoho's budget). */
        FULFILMENT_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(32),
        /** Retries and re-drives worked on at once, beside new orders. */
        FULFILMENT_RETRY_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
        /** Largest group-committed insert of accepted orders. */
        FULFILMENT_INTAKE_MAX_BATCH: z.coerce.number().int().min(1).max(1_000).default(256),
        /** How long an attempt holds its order without renewing (renewed every third of it). */
        FULFILMENT_ATTEMPT_LEASE_MS: ms(45_000, 3_000),
        FULFILMENT_RETRY_INITIAL_MS: ms(2_000, 10),
        FULFILMENT_RETRY_MAX_MS: ms(300_000, 10),
        /** A transient failure fails the order once the order is this old. */
        FULFILMENT_GIVE_UP_AFTER_MS: ms(24 * 60 * 60 * 1000, 1_000),
        /** An unfinished order that has not moved for this long (and is not queued) is re-driven. */
        FULFILMENT_STUCK_AFTER_MS: ms(5 * 60 * 1000, 1_000),
        FULFILMENT_SWEEP_INTERVAL_MS: ms(10_000, 100),
        CATALOGUE_REFRESH_MS: ms(60_000, 1_000),
        /** While an order's licence waits in the manual queue (LICENCE_PROVISIONER=manual), it asks again this often… */
        MANUAL_LICENCE_POLL_SECONDS: z.coerce.number().min(0.1).max(3_600).default(60),
        /** …and fails once it has waited this long for an operator. */
        MANUAL_LICENCE_GIVE_UP_HOURS: z.coerce.number().min(0.001).max(24 * 30).default(72),
        /** An Idempotency-Key is kept at least this long (and as long as its order is unfinished); at least 24 hours. */
        IDEMPOTENCY_KEY_RETENTION_MS: ms(24 * 60 * 60 * 1000, 24 * 60 * 60 * 1000),
      }),
    env,
  );
}

export type FulfilmentConfig = ReturnType<typeof loadFulfilmentConfig>;
