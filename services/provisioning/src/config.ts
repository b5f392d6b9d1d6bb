import { baseConfigShape, mongoConfigShape, loadConfig, port, secret, url } from "@t2m/platform";
import { DefaultPorts, SandboxDefaults } from "@t2m/topology";
import { z } from "zod";

export function loadProvisioningConfig(env?: Record<string, string | undefined>) {
  return loadConfig(
    "provisioning",
    (ctx) =>
      z.object({
        ...baseConfigShape,
        PORT: port(DefaultPorts.provisioning),
        ...mongoConfigShape,
        // Real Zoho (US data centre) unless pointed elsewhere; local runs point at the sandbox.
        ZOHO_ACCOUNTS_URL: url(["https:", "http:"]).default("https://accounts.zoho.com"),
        ZOHO_API_URL: url(["https:", "http:"]).default("https://www.zohoapis.com/inventory/v1"),
        ZOHO_ORGANIZATION_ID: secret(ctx, SandboxDefaults.zohoOrganizationId),
        ZOHO_CLIENT_ID: secret(ctx, SandboxDefaults.zohoClientId),
        ZOHO_CLIENT_SECRET: secret(ctx, SandboxDefaults.zohoClientSecret),
        ZOHO_REFRESH_TOKEN: secret(ctx, SandboxDefaults.zohoRefreshToken),
        ZOHO_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
      }),
    env,
  );
}

export type ProvisioningConfig = ReturnType<typeof loadProvisioningConfig>;
