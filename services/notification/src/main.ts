import { connectHandler, runMain, runService, serveOptions } from "@t2m/platform";
import { Consumers, OrdersStream } from "@t2m/topology";
import { WebhookSender } from "./adapters/webhook-sender.js";
import { createNotification } from "./app.js";
import { loadNotificationConfig } from "./config.js";

runMain(async () => {
  const config = loadNotificationConfig();
  const sender = new WebhookSender({
    url: config.T2MOBILE_WEBHOOK_URL,
    secret: config.T2MOBILE_WEBHOOK_SECRET,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
  });
  await runService<true, true>({
    name: "notification",
    ...serveOptions(config),
    nats: { url: config.NATS_URL, ackWaitMs: config.NATS_ACK_WAIT_MS, streams: [OrdersStream], consumers: [Consumers.notificationOutcomes] },
    mongodbUrl: config.MONGODB_URL,
    start: async (rt) => {
      const notification = await createNotification({
        runtime: rt,
        database: rt.database,
        events: rt.events,
        sender,
        retryDelaysMs: config.WEBHOOK_RETRY_DELAYS_MS,
        concurrency: config.WEBHOOK_CONCURRENCY,
      });
      rt.onShutdown({ name: "webhook worker", run: await notification.startWorkers() });
      rt.logger.info({ webhookHost: new URL(config.T2MOBILE_WEBHOOK_URL).host, retryDelaysMs: config.WEBHOOK_RETRY_DELAYS_MS }, "webhooks configured");
      return connectHandler(notification.routes, rt.logger, rt.metrics);
    },
  });
});
