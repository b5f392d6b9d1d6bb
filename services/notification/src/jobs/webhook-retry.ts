// The webhook-retry job (CronJob, */5 * * * *): one pass over the working
// set of undelivered messages, sending each one that is due. Safe to run
// beside notification's live path and beside another run of itself: every
// attempt is claimed by a unique insert before it is sent.
import { runJobMain, serviceClient, type JobContext, type JobResult } from "@t2m/platform";
import { FulfilmentService } from "@t2m/proto/fulfilment/v1/fulfilment";
import { Jobs } from "@t2m/topology";
import { DeliveryStore } from "../adapters/delivery-store.js";
import { PartnerService } from "@t2m/proto/partners/v1/partners";
import { PartnerEndpoints } from "../adapters/partner-endpoints.js";
import { WebhookSender } from "../adapters/webhook-sender.js";
import { configuredEndpoint, loadNotificationConfig, retryScheduleOf, type NotificationConfig } from "../config.js";
import { DeliveryEngine } from "../engine.js";
import { createNotificationMetrics } from "../metrics.js";

/** One sweep; exported for tests and the bench, which run it in-process. */
export async function webhookRetry(ctx: JobContext, config: NotificationConfig): Promise<JobResult> {
  const store = new DeliveryStore(ctx.database);
  await store.ensureIndexes();
  const sender = new WebhookSender({ timeoutMs: config.WEBHOOK_TIMEOUT_MS });
  // Messages that become due while the pass runs (an earlier event of their order was just delivered) are taken in the same pass.
  const dueDuringPass = new Set<string>();
  // Every partner's endpoint, read once for the pass (the configured T2Mobile endpoint if fulfilment does not answer).
  const endpoints = new PartnerEndpoints(serviceClient(PartnerService, { baseUrl: config.FULFILMENT_URL, metrics: ctx.metrics, token: config.RPC_TOKEN_NOTIFICATION, timeoutMs: 5_000 }), ctx.logger, {
    configured: configuredEndpoint(config),
    refreshMs: 60_000,
  });
  await endpoints.refresh().catch((err: unknown) => ctx.logger.warn({ err }, "partner endpoints unavailable; sending to the configured T2Mobile endpoint only"));
  const engine = new DeliveryEngine({
    store,
    sender,
    endpoints,
    schedule: retryScheduleOf(config),
    disableRules: { afterDeadInARow: config.WEBHOOK_ENDPOINT_DISABLE_AFTER_DEAD, afterFailingMs: config.WEBHOOK_ENDPOINT_DISABLE_AFTER_MS },
    leaseMs: config.WEBHOOK_ATTEMPT_LEASE_MS,
    metrics: createNotificationMetrics(ctx.metrics.registry),
    logger: ctx.logger,
    clock: ctx.clock,
    onDue: (id, dueAt) => {
      if (dueAt.getTime() <= ctx.clock().getTime()) dueDuringPass.add(id);
    },
  });
  try {
    const report = await engine.sweep({
      concurrency: config.WEBHOOK_SWEEP_CONCURRENCY,
      signal: ctx.signal,
      extra: () => {
        const ids = [...dueDuringPass];
        dueDuringPass.clear();
        return ids;
      },
    });
    const { errors, ...counts } = report;
    return { processed: report.delivered + report.retrying + report.dead + report.repaired, failed: errors, counts: { ...counts, errors } };
  } finally {
    await sender.close();
  }
}

// Run as a process (not when imported by a test or the bench).
if (import.meta.url === `file://${process.argv[1]}`) {
  const config = loadNotificationConfig();
  runJobMain({
    name: Jobs.webhookRetry.name,
    mongodbUrl: config.MONGODB_URL,
    logLevel: config.LOG_LEVEL,
    run: (ctx) => webhookRetry(ctx, config),
  });
}
