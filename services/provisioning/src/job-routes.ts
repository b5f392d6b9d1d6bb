import type { ConnectRouter } from "@connectrpc/connect";
import { jobsOnRequest, type Database, type EventBus, type Logger } from "@t2m/platform";
import { ProvisioningJobService } from "@t2m/proto/provisioning/v1/jobs";
import { Jobs } from "@t2m/topology";
import type { ProvisioningConfig } from "./config.js";
import { runExpiryReminders } from "./jobs/expiry-reminders.js";
import { runRenewalCheck } from "./jobs/renewal-check.js";

/** ProvisioningJobService: the subscription jobs run once on request, with the code and recording their CronJobs use. */
export function provisioningJobRoutes(deps: { config: ProvisioningConfig; database: Database; events: EventBus; logger: Logger }) {
  const jobs = jobsOnRequest({
    jobs: [
      { ...Jobs.expiryReminders, run: (ctx) => runExpiryReminders(ctx, deps.config) },
      { ...Jobs.renewalCheck, run: (ctx) => runRenewalCheck(ctx, deps.config) },
    ],
    database: deps.database,
    events: deps.events,
    logger: deps.logger,
  });
  return (router: ConnectRouter) =>
    router.service(ProvisioningJobService, {
      runJob: async (req, ctx) => ({ run: await jobs.run(req, ctx.signal) }),
    });
}
