import { connectHandler, runMain, runService, serveOptions } from "@t2m/platform";
import { Histogram } from "prom-client";
import { SandboxLicenceProvisioner } from "./adapters/sandbox-licence-provisioner.js";
import { ZohoInventoryClient } from "./adapters/zoho/index.js";
import { zohoErrorToConnect } from "./adapters/zoho-errors.js";
import { createProvisioning } from "./app.js";
import { loadProvisioningConfig } from "./config.js";

runMain(async () => {
  const config = loadProvisioningConfig();
  await runService<false, true>({
    name: "provisioning",
    ...serveOptions(config),
    mongodbUrl: config.MONGODB_URL,
    start: async (rt) => {
      const zohoSeconds = new Histogram({
        name: "t2m_zoho_request_duration_seconds",
        help: "Calls to Zoho (token refresh included), by operation and HTTP status",
        labelNames: ["operation", "status"],
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
        registers: [rt.metrics.registry],
      });
      const zoho = new ZohoInventoryClient({
        accountsUrl: config.ZOHO_ACCOUNTS_URL,
        apiUrl: config.ZOHO_API_URL,
        organizationId: config.ZOHO_ORGANIZATION_ID,
        clientId: config.ZOHO_CLIENT_ID,
        clientSecret: config.ZOHO_CLIENT_SECRET,
        refreshToken: config.ZOHO_REFRESH_TOKEN,
        requestTimeoutMs: config.ZOHO_TIMEOUT_MS,
        logger: rt.logger,
        onRequest: (e) => zohoSeconds.observe({ operation: e.operation, status: String(e.status ?? 0) }, e.durationMs / 1000),
      });
      rt.logger.info({ apiUrl: config.ZOHO_API_URL, accountsUrl: config.ZOHO_ACCOUNTS_URL }, "Zoho configured");
      const provisioning = await createProvisioning({
        runtime: rt,
        database: rt.database,
        zoho,
        licences: new SandboxLicenceProvisioner(),
        zohoError: zohoErrorToConnect,
      });
      return connectHandler(provisioning.routes, rt.logger, rt.metrics);
    },
  });
});
