import { connectHandler, natsCredentials, rpcCallersFromConfig, runMain, runService, serviceClient, serveOptions } from "@t2m/platform";
import { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import { ProvisioningService, SubscriptionService } from "@t2m/proto/provisioning/v1/provisioning";
import { NatsUsers, RpcAccess, RpcCallersOf } from "@t2m/topology";
import { createFulfilment } from "./app.js";
import { loadFulfilmentConfig } from "./config.js";
import { defaultFulfilmentRetryPolicy } from "./domain/retry-policy.js";

runMain(async () => {
  const config = loadFulfilmentConfig();
  await runService<true, true>({
    name: "fulfilment",
    ...serveOptions(config),
    nats: {
      url: config.NATS_URL,
      credentials: natsCredentials(config),
      ackWaitMs: config.NATS_ACK_WAIT_MS,
      streams: NatsUsers.fulfilment.streams,
      consumers: NatsUsers.fulfilment.consumers,
    },
    rpcAuth: { policy: RpcAccess, callers: rpcCallersFromConfig(config, RpcCallersOf.fulfilment) },
    mongodbUrl: config.MONGODB_URL,
    start: async (rt) => {
      const fulfilment = await createFulfilment({
        runtime: rt,
        database: rt.database,
        events: rt.events,
        catalogue: serviceClient(CatalogueService, { baseUrl: config.CATALOGUE_URL, metrics: rt.metrics, token: config.RPC_TOKEN_FULFILMENT }),
        // A call may wait for Zoho's call budget up to provisioning's own limit, then answers RESOURCE_EXHAUSTED.
        provisioning: serviceClient(ProvisioningService, {
          baseUrl: config.PROVISIONING_URL,
          metrics: rt.metrics,
          token: config.RPC_TOKEN_FULFILMENT,
          timeoutMs: 120_000,
        }),
        subscriptions: serviceClient(SubscriptionService, { baseUrl: config.PROVISIONING_URL, metrics: rt.metrics, token: config.RPC_TOKEN_FULFILMENT, timeoutMs: 30_000 }),
        settings: {
          concurrency: config.FULFILMENT_CONCURRENCY,
          retryConcurrency: config.FULFILMENT_RETRY_CONCURRENCY,
          intakeMaxBatch: config.FULFILMENT_INTAKE_MAX_BATCH,
          leaseMs: config.FULFILMENT_ATTEMPT_LEASE_MS,
          policy: {
            ...defaultFulfilmentRetryPolicy,
            backoff: { ...defaultFulfilmentRetryPolicy.backoff, initialMs: config.FULFILMENT_RETRY_INITIAL_MS, maxMs: config.FULFILMENT_RETRY_MAX_MS },
            manualPollMs: Math.round(config.MANUAL_LICENCE_POLL_SECONDS * 1000),
            giveUpManualAfterMs: Math.round(config.MANUAL_LICENCE_GIVE_UP_HOURS * 60 * 60 * 1000),
            giveUpTransientAfterMs: config.FULFILMENT_GIVE_UP_AFTER_MS,
          },
          graceMs: 5_000,
          relayWindowMs: 90_000,
          stuckAfterMs: config.FULFILMENT_STUCK_AFTER_MS,
          sweepIntervalMs: config.FULFILMENT_SWEEP_INTERVAL_MS,
          pendingEveryPasses: 6,
          catalogueRefreshMs: config.CATALOGUE_REFRESH_MS,
          idempotencyKeyRetentionMs: config.IDEMPOTENCY_KEY_RETENTION_MS,
          production: config.NODE_ENV === "production",
        },
      });
      for (const check of fulfilment.readiness) rt.addReadiness(check);
      const stop = await fulfilment.start();
      rt.onShutdown({ name: "order worker", run: stop });
      return connectHandler(fulfilment.routes, rt.logger, rt.metrics);
    },
  });
});
