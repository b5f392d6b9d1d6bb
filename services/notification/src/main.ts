import { connectHandler, natsCredentials, rpcCallersFromConfig, runMain, runService, serveOptions, serviceClient } from "@t2m/platform";
import { FulfilmentService } from "@t2m/proto/fulfilment/v1/fulfilment";
import { NatsUsers, RpcAccess, RpcCallersOf } from "@t2m/topology";
import { endpointHost, singleEndpoint } from "./adapters/endpoints.js";
import { fulfilmentOrders } from "./adapters/order-lookup.js";
import { WebhookSender } from "./adapters/webhook-sender.js";
import { createNotification } from "./app.js";
import { loadNotificationConfig, retryScheduleOf } from "./config.js";

runMain(async () => {
  const config = loadNotificationConfig();
  const endpoints = singleEndpoint(config.T2MOBILE_WEBHOOK_URL, config.T2MOBILE_WEBHOOK_SECRET, config.T2MOBILE_WEBHOOK_SECRETS);
  const sender = new WebhookSender({ timeoutMs: config.WEBHOOK_TIMEOUT_MS });
  await runService<true, true>({
    name: "notification",
    ...serveOptions(config),
    nats: {
      url: config.NATS_URL,
      credentials: natsCredentials(config),
      ackWaitMs: config.NATS_ACK_WAIT_MS,
      streams: NatsUsers.notification.streams,
      consumers: NatsUsers.notification.consumers,
    },
    rpcAuth: { policy: RpcAccess, callers: rpcCallersFromConfig(config, RpcCallersOf.notification) },
    mongodbUrl: config.MONGODB_URL,
    start: async (rt) => {
      const notification = await createNotification({
        runtime: rt,
        database: rt.database,
        events: rt.events,
        sender,
        endpoints,
        orders: fulfilmentOrders(serviceClient(FulfilmentService, { baseUrl: config.FULFILMENT_URL, metrics: rt.metrics, token: config.RPC_TOKEN_NOTIFICATION, timeoutMs: 5_000 })),
        settings: {
          schedule: retryScheduleOf(config),
          disableRules: { afterDeadInARow: config.WEBHOOK_ENDPOINT_DISABLE_AFTER_DEAD, afterFailingMs: config.WEBHOOK_ENDPOINT_DISABLE_AFTER_MS },
          leaseMs: config.WEBHOOK_ATTEMPT_LEASE_MS,
          concurrency: config.WEBHOOK_CONCURRENCY,
          statsIntervalMs: config.WEBHOOK_STATS_INTERVAL_MS,
          sweepIntervalMs: config.WEBHOOK_SWEEP_INTERVAL_MS,
          sweepConcurrency: config.WEBHOOK_SWEEP_CONCURRENCY,
        },
      });
      const stop = await notification.start();
      rt.onShutdown({ name: "webhook delivery", run: async () => (await stop(), await sender.close()) });
      rt.logger.info(
        { webhookHost: endpointHost(endpoints.all()[0]!), signingSecrets: endpoints.all()[0]!.secrets.length, retryDelaysMs: config.WEBHOOK_RETRY_DELAYS_MS },
        "webhooks configured",
      );
      return connectHandler(notification.routes, rt.logger, rt.metrics);
    },
  });
});
