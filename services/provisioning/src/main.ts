import { hostname } from "node:os";
import { connectHandler, exportJobMetrics, natsCredentials, rpcCallersFromConfig, runMain, runService, serveOptions } from "@t2m/platform";
import { Jobs, KvBuckets, NatsUsers, RpcAccess, RpcCallersOf } from "@t2m/topology";
import { KvBudgetStore } from "./adapters/budget-kv.js";
import { MongoLicenceTaskStore } from "./adapters/licence-task-store.js";
import { createProvisioningMetrics, refreshLicenceQueueMetrics } from "./adapters/metrics.js";
import { MongoLicenceLog, SandboxLicenceProvisioner } from "./adapters/sandbox-licence-provisioner.js";
import { ZohoInventoryClient } from "./adapters/zoho/index.js";
import { createProvisioning } from "./app.js";
import { budgetLimits, loadProvisioningConfig } from "./config.js";
import { provisioningJobRoutes } from "./job-routes.js";
import { CallBudget } from "./domain/call-budget.js";
import { ManualLicenceProvisioner } from "./domain/licence-tasks.js";

runMain(async () => {
  const config = loadProvisioningConfig();
  await runService<true, true>({
    name: "provisioning",
    ...serveOptions(config),
    // NATS for the shared Zoho call budget (a KV bucket) and to publish subscription events; no consumers.
    nats: {
      url: config.NATS_URL,
      credentials: natsCredentials(config),
      ackWaitMs: 30_000,
      streams: NatsUsers.provisioning.streams,
      consumers: NatsUsers.provisioning.consumers,
    },
    rpcAuth: { policy: RpcAccess, callers: rpcCallersFromConfig(config, RpcCallersOf.provisioning) },
    mongodbUrl: config.MONGODB_URL,
    start: async (rt) => {
      const metrics = createProvisioningMetrics(rt.metrics.registry);
      const budget = new CallBudget({
        store: new KvBudgetStore(await rt.events.kv(KvBuckets.zohoBudget), KvBudgetStore.keyFor(config.ZOHO_ORGANIZATION_ID)),
        limits: budgetLimits(config),
        holder: `${hostname()}:${process.pid}`,
        observer: metrics.budgetObserver,
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
        budget,
        defaultMaxWaitMs: config.ZOHO_BUDGET_MAX_WAIT_MS,
        onRequest: metrics.onZohoRequest,
        onRateLimited: metrics.onRateLimited,
      });
      rt.logger.info(
        { apiUrl: config.ZOHO_API_URL, accountsUrl: config.ZOHO_ACCOUNTS_URL, budget: budget.limits, maxWaitMs: config.ZOHO_BUDGET_MAX_WAIT_MS },
        "Zoho configured",
      );
      const licenceTasks = await MongoLicenceTaskStore.open(rt.database);
      const licences =
        config.LICENCE_PROVISIONER === "manual"
          ? new ManualLicenceProvisioner(licenceTasks)
          : new SandboxLicenceProvisioner(config.SANDBOX_LICENCE_KEY!, new MongoLicenceLog(rt.database));
      rt.logger.info({ provisioner: config.LICENCE_PROVISIONER }, "licence provisioner configured");
      const provisioning = await createProvisioning({
        runtime: rt,
        database: rt.database,
        zoho,
        licences,
        licenceTasks,
        events: rt.events,
        maxWaitMs: config.ZOHO_BUDGET_MAX_WAIT_MS,
        metrics,
      });
      // The subscription jobs run as CronJobs; their runs (job_runs) become this service's gauges.
      const jobMetrics = exportJobMetrics({
        database: rt.database,
        registry: rt.metrics.registry,
        jobs: [Jobs.expiryReminders.name, Jobs.renewalCheck.name],
        logger: rt.logger,
      });
      rt.onShutdown({ name: "job metrics", run: async () => jobMetrics.stop() });
      // The manual queue's gauges (0 with the sandbox provisioner, whose queue stays empty).
      const queueMetrics = refreshLicenceQueueMetrics({ metrics, waitingSince: () => licenceTasks.waitingSince(), logger: rt.logger });
      rt.onShutdown({ name: "licence queue metrics", run: async () => queueMetrics.stop() });
      const jobRoutes = provisioningJobRoutes({ config, database: rt.database, events: rt.events, logger: rt.logger });
      return connectHandler(
        (router) => {
          provisioning.routes(router);
          jobRoutes(router);
        },
        rt.logger,
        rt.metrics,
      );
    },
  });
});
