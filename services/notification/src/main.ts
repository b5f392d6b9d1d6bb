import { connectHandler, natsCredentials, rpcCallersFromConfig, runMain, runService, serveOptions, serviceClient } from "@t2m/platform";
import { FulfilmentService } from "@t2m/proto/fulfilment/v1/fulfilment";
import { SubscriptionService } from "@t2m/proto/provisioning/v1/provisioning";
import { NatsUsers, RpcAccess, RpcCallersOf } from "@t2m/topology";
import { PartnerService } from "@t2m/proto/partners/v1/partners";
import { endpointHost } from "./adapters/endpoints.js";
import { PartnerEndpoints } from "./adapters/partner-endpoints.js";
import { fulfilmentOrders } from "./adapters/order-lookup.js";
import { provisioningSubscriptions } from "./adapters/subscription-lookup.js";
import { WebhookSender } from "./adapters/webhook-sender.js";
import { createNotification } from "./app.js";
import { configuredEndpoint, loadNotificationConfig, retryScheduleOf } from "./config.js";
import { notificationJobRoutes } from "./job-routes.js";

runMain(async () => {
  const config = loadNotificationConfig();
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
      const endpoints = new PartnerEndpoints(serviceClient(PartnerService, { baseUrl: config.FULFILMENT_URL, metrics: rt.metrics, token: config.RPC_TOKEN_NOTIFICATION, timeoutMs: 5_000 }), rt.logger, {
        configured: configuredEndpoint(config),
        refreshMs: config.PARTNER_REFRESH_MS,
      });
      // Before the first outcome is handled: a message's endpoint is looked up when it is sent.
      await endpoints.start();
      const notification = await createNotification({
        runtime: rt,
        database: rt.database,
        events: rt.events,
        sender,
        endpoints,
        orders: fulfilmentOrders(serviceClient(FulfilmentService, { baseUrl: config.FULFILMENT_URL, metrics: rt.metrics, token: config.RPC_TOKEN_NOTIFICATION, timeoutMs: 5_000 })),
        subscriptions: provisioningSubscriptions(
          serviceClient(SubscriptionService, { baseUrl: config.PROVISIONING_URL, metrics: rt.metrics, token: config.RPC_TOKEN_NOTIFICATION, timeoutMs: 5_000 }),
        ),
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
      rt.onShutdown({ name: "webhook delivery", run: async () => (await stop(), await sender.close(), endpoints.stop()) });
      rt.logger.info(
        { endpoints: endpoints.all().map((e) => ({ partner: e.id, host: endpointHost(e), signingSecrets: e.secrets.length })), retryDelaysMs: config.WEBHOOK_RETRY_DELAYS_MS },
        "webhooks configured",
      );
      const jobRoutes = notificationJobRoutes({ config, database: rt.database, logger: rt.logger });
      return connectHandler(
        (router) => {
          notification.routes(router);
          jobRoutes(router);
        },
        rt.logger,
        rt.metrics,
      );
    },
  });
});
