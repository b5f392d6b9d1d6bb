import { baseConfigShape, mongoConfigShape, loadConfig, natsConfigShape, natsCredentialsShape, port, rpcCallersShape, rpcTokenShape, sandboxed, secret, url } from "@t2m/platform";
import type { BudgetLimits } from "./domain/budget.js";
import { DEFAULT_THRESHOLDS_DAYS, parseThresholds } from "./domain/due.js";
import { DefaultPorts, localUrl, RpcCallersOf, SandboxDefaults } from "@t2m/topology";
import { z } from "zod";

export function loadProvisioningConfig(env?: Record<string, string | undefined>) {
  return loadConfig(
    "provisioning",
    (ctx) =>
      z.object({
        ...baseConfigShape,
        PORT: port(DefaultPorts.provisioning),
        ...mongoConfigShape,
        // Zoho's call budget is shared by every replica in NATS KV.
        NATS_URL: natsConfigShape.NATS_URL,
        ...natsCredentialsShape(ctx, "provisioning", SandboxDefaults.natsPasswords.provisioning),
        ...rpcCallersShape(ctx, RpcCallersOf.provisioning, (caller) => SandboxDefaults.rpcTokens[caller]),
        // The token its subscription jobs send to the catalogue and fulfilment.
        ...rpcTokenShape(ctx, "provisioning", SandboxDefaults.rpcTokens.provisioning),
        // Real Zoho (US data centre) unless pointed elsewhere; local runs point at the sandbox.
        ZOHO_ACCOUNTS_URL: url(["https:", "http:"]).default("https://accounts.zoho.com"),
        ZOHO_API_URL: url(["https:", "http:"]).default("https://www.zohoapis.com/inventory/v1"),
        ZOHO_ORGANIZATION_ID: secret(ctx, SandboxDefaults.zohoOrganizationId),
        ZOHO_CLIENT_ID: secret(ctx, SandboxDefaults.zohoClientId),
        ZOHO_CLIENT_SECRET: secret(ctx, SandboxDefaults.zohoClientSecret),
        ZOHO_REFRESH_TOKEN: secret(ctx, SandboxDefaults.zohoRefreshToken),
        ZOHO_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
        // Zoho Inventory's limits per organisation, kept by all replicas together; 0 turns either off (load tests against a sandbox without limits).
        ZOHO_BUDGET_CALLS_PER_MINUTE: z.coerce.number().int().min(0).default(100),
        ZOHO_BUDGET_MAX_CONCURRENT: z.coerce.number().int().min(0).default(10),
        // The longest an RPC waits for the budget before answering RESOURCE_EXHAUSTED with RetryInfo.
        ZOHO_BUDGET_MAX_WAIT_MS: z.coerce.number().int().min(0).default(20_000),
        // The subscription jobs (expiry-reminders, renewal-check):
        /** The expiry-reminders job's thresholds, in days before the period's end. */
        EXPIRY_REMINDER_DAYS: z
          .string()
          .default(DEFAULT_THRESHOLDS_DAYS.join(","))
          .transform((raw, c) => {
            try {
              return parseThresholds(raw);
            } catch (err) {
              c.addIssue({ code: "custom", message: `must be days separated by commas, e.g. 7,3,1 (${(err as Error).message})` });
              return z.NEVER;
            }
          }),
        /** After missed runs, a job also does the work of the days it missed, at most this many back. */
        SUBSCRIPTION_JOB_CATCH_UP_DAYS: z.coerce.number().int().min(0).max(366).default(7),
        /** Subscriptions a job works on at once. */
        SUBSCRIPTION_JOB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
        /** The jobs read renewal prices from the catalogue (expiry-reminders)… */
        CATALOGUE_URL: url(["http:", "https:"]).default(localUrl(DefaultPorts.catalogue)),
        /** …and ask fulfilment whether a pending renewal order is finished (renewal-check). */
        FULFILMENT_URL: url(["http:", "https:"]).default(localUrl(DefaultPorts.fulfilment)),
        /**
         * Which licence provisioner runs. Zoho has no public licence API: "manual" queues each licence
         * for an operator (LicenceTaskService); "sandbox" issues no real licence (its references are an
         * HMAC of the order id), so production must choose one explicitly (the sandbox with its key from
         * the Secret); outside production the sandbox is the default, with a sandbox key.
         */
        LICENCE_PROVISIONER: sandboxed(
          ctx,
          z.enum(["sandbox", "manual"], {
            error: (issue) =>
              issue.input === undefined
                ? "is required in production: choose manual (operators provision each licence) or sandbox (no real licence; with SANDBOX_LICENCE_KEY)"
                : 'must be "manual" or "sandbox"',
          }),
          "sandbox",
        ),
        SANDBOX_LICENCE_KEY: ctx.production
          ? z.string().min(16, "must be at least 16 characters").optional()
          : z.string().min(16, "must be at least 16 characters").default(SandboxDefaults.sandboxLicenceKey),
      })
      .superRefine((config, issues) => {
        if (config.LICENCE_PROVISIONER === "sandbox" && !config.SANDBOX_LICENCE_KEY) {
          issues.addIssue({ code: "custom", path: ["SANDBOX_LICENCE_KEY"], message: "is required with LICENCE_PROVISIONER=sandbox (a secret: it computes every activation reference)" });
        }
      }),
    env,
  );
}

export type ProvisioningConfig = ReturnType<typeof loadProvisioningConfig>;

/**
 * The call budget's limits from the configuration: Zoho's 60 s window, a
 * 2 s margin (how late after its slot a call may reach Zoho, clock skew
 * between replicas included), and leases that outlive a call's timeout.
 */
export function budgetLimits(config: Pick<ProvisioningConfig, "ZOHO_BUDGET_CALLS_PER_MINUTE" | "ZOHO_BUDGET_MAX_CONCURRENT" | "ZOHO_TIMEOUT_MS">): BudgetLimits {
  return {
    callsPerWindow: config.ZOHO_BUDGET_CALLS_PER_MINUTE,
    windowMs: 60_000,
    marginMs: 2_000,
    maxConcurrent: config.ZOHO_BUDGET_MAX_CONCURRENT,
    leaseMs: config.ZOHO_TIMEOUT_MS + 5_000,
  };
}
