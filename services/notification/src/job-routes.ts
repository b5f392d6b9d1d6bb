import type { ConnectRouter } from "@connectrpc/connect";
import { jobsOnRequest, type Database, type Logger } from "@t2m/platform";
import { NotificationJobService } from "@t2m/proto/notification/v1/jobs";
import { Jobs } from "@t2m/topology";
import type { NotificationConfig } from "./config.js";
import { webhookRetry } from "./jobs/webhook-retry.js";

/** NotificationJobService: the webhook-retry sweep run once on request, with the code and recording its CronJob uses. */
export function notificationJobRoutes(deps: { config: NotificationConfig; database: Database; logger: Logger }) {
  const jobs = jobsOnRequest({
    jobs: [{ ...Jobs.webhookRetry, run: (ctx) => webhookRetry(ctx, deps.config) }],
    database: deps.database,
    logger: deps.logger,
  });
  return (router: ConnectRouter) =>
    router.service(NotificationJobService, {
      runJob: async (req, ctx) => ({ run: await jobs.run(req, ctx.signal) }),
    });
}
