import { bundledCatalogueFile } from "@t2m/catalogue";
import { baseConfigShape, loadConfig, port, secret, type Environment } from "@t2m/platform";
import { DefaultPorts, SandboxDefaults } from "@t2m/topology";
import { z } from "zod";

/** The catalogue every local run shares. */
export const defaultCatalogueFile = bundledCatalogueFile;

export function loadSandboxConfig(env?: Environment) {
  const raw = loadConfig(
    "zoho-sandbox",
    (ctx) =>
      z.object({
        ...baseConfigShape,
        PORT: port(DefaultPorts.zohoSandbox),
        // The credentials the sandbox accepts: the ones local runs of provisioning use by default.
        ZOHO_ORGANIZATION_ID: secret(ctx, SandboxDefaults.zohoOrganizationId),
        ZOHO_CLIENT_ID: secret(ctx, SandboxDefaults.zohoClientId),
        ZOHO_CLIENT_SECRET: secret(ctx, SandboxDefaults.zohoClientSecret),
        ZOHO_REFRESH_TOKEN: secret(ctx, SandboxDefaults.zohoRefreshToken),
        // Zoho's access tokens last an hour.
        ZOHO_SANDBOX_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
        // Zoho Inventory's limits per organisation; 0 turns either off.
        ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(100),
        ZOHO_SANDBOX_MAX_CONCURRENT: z.coerce.number().int().min(0).default(10),
        // Keeps contacts, sales orders and the id sequence across restarts; unset, the sandbox starts empty.
        ZOHO_SANDBOX_STATE_FILE: z.string().min(1).optional(),
        CATALOGUE_FILE: z.string().min(1).default(defaultCatalogueFile),
      }),
    env,
  );
  return {
    port: raw.PORT,
    host: raw.HOST,
    logLevel: raw.LOG_LEVEL,
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    organizationId: raw.ZOHO_ORGANIZATION_ID,
    credentials: { clientId: raw.ZOHO_CLIENT_ID, clientSecret: raw.ZOHO_CLIENT_SECRET, refreshToken: raw.ZOHO_REFRESH_TOKEN },
    tokenTtlSeconds: raw.ZOHO_SANDBOX_TOKEN_TTL_SECONDS,
    rateLimitPerMinute: raw.ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE,
    maxConcurrent: raw.ZOHO_SANDBOX_MAX_CONCURRENT,
    stateFile: raw.ZOHO_SANDBOX_STATE_FILE,
    catalogueFile: raw.CATALOGUE_FILE,
  };
}

export type ZohoSandboxConfig = ReturnType<typeof loadSandboxConfig>;
