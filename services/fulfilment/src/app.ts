import type { Client, ConnectRouter } from "@connectrpc/connect";
import { backoffDelay, unexpectedErrorBackoff, type Database, type EventBus, type ReadinessCheck, type ServiceRuntime } from "@t2m/platform";
import type { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import type { ProvisioningService, SubscriptionService } from "@t2m/proto/provisioning/v1/provisioning";
import { Consumers } from "@t2m/topology";
import type { FulfilmentRetryPolicy } from "./domain/retry-policy.js";
import { OrderAnnouncer } from "./adapters/announcer.js";
import { CatalogueOffers } from "./adapters/catalogue-offers.js";
import { classifyStepError, provisioningSteps } from "./adapters/downstream.js";
import { OrderIntake } from "./adapters/intake.js";
import { subscriptionRenewalCheck } from "./adapters/renewals.js";
import { OrderStore } from "./adapters/order-store.js";
import { PartnerStore } from "./adapters/partner-store.js";
import { PartnerRegistry, partnerRoutes } from "./partner-routes.js";
import { operatorRedriveTag } from "./domain/operator-retry.js";
import { createFulfilmentMetrics } from "./metrics.js";
import { fulfilmentRoutes } from "./routes.js";
import { OrderScheduler, type SchedulerOptions } from "./scheduler.js";
import { OrderWorker } from "./worker.js";

export interface FulfilmentSettings extends SchedulerOptions {
  readonly concurrency: number;
  readonly retryConcurrency: number;
  readonly intakeMaxBatch: number;
  readonly leaseMs: number;
  readonly policy: FulfilmentRetryPolicy;
  readonly catalogueRefreshMs: number;
  /** How long an idempotency key is kept at least (a finished order's key may then serve a new order). */
  readonly idempotencyKeyRetentionMs: number;
  /** Production: partners' webhooks must be https. */
  readonly production: boolean;
}

export interface FulfilmentDependencies {
  readonly runtime: ServiceRuntime;
  readonly database: Database;
  readonly events: EventBus;
  readonly catalogue: Client<typeof CatalogueService>;
  readonly provisioning: Client<typeof ProvisioningService>;
  /** Renewals: intake's check and the worker's renewal step. */
  readonly subscriptions: Client<typeof SubscriptionService>;
  readonly settings: FulfilmentSettings;
}

/** Wires the store, the events and the downstream clients into the RPC routes, the order worker and the scheduler. */
export async function createFulfilment(deps: FulfilmentDependencies) {
  const { runtime, events, settings } = deps;
  const logger = runtime.logger;
  const metrics = createFulfilmentMetrics(runtime.metrics.registry);
  const store = new OrderStore(deps.database);
  await store.ensureIndexes();
  const announcer = new OrderAnnouncer(events);
  const offers = new CatalogueOffers(deps.catalogue, logger, settings.catalogueRefreshMs);
  const partners = new PartnerStore(deps.database);
  await partners.ensureIndexes();
  const registry = new PartnerRegistry(partners, settings.production, logger);
  const intake = new OrderIntake(store, announcer, logger, {
    maxBatch: settings.intakeMaxBatch,
    keyRetentionMs: settings.idempotencyKeyRetentionMs,
    onBatch: (size) => metrics.intakeBatchSize.observe(size),
  });
  const scheduler = new OrderScheduler(store, announcer, events, metrics, logger, settings);
  const worker = new OrderWorker({
    store,
    announcer,
    steps: { ...provisioningSteps(deps.provisioning, deps.subscriptions), classify: classifyStepError },
    policy: settings.policy,
    leaseMs: settings.leaseMs,
    metrics,
    logger,
    onRetryScheduled: (orderId, attempt, dueAt) => scheduler.retryAt(orderId, attempt, dueAt),
  });
  const readiness: ReadinessCheck[] = [offers.readiness()];

  return {
    routes: (router: ConnectRouter) => {
      fulfilmentRoutes({
        intake,
        store,
        offers,
        renewals: subscriptionRenewalCheck(deps.subscriptions),
        // The sweep's own re-drive event, so the worker stays the order's only writer.
        redrive: (orderId, attempt, now) => announcer.announceRetryDue(orderId, attempt, "redrive", now, operatorRedriveTag(now)),
        metrics,
        logger,
      })(router);
      partnerRoutes(registry)(router);
    },
    registry,
    readiness,
    store,
    scheduler,
    /** Loads the offers and starts the worker and the scheduler; returns what stops them. */
    start: async () => {
      offers.start();
      const errorDelayMs = (n: number) => backoffDelay(n, unexpectedErrorBackoff);
      const submitted = await events.consume(Consumers.fulfilmentSubmitted, worker.handleSubmitted, { concurrency: settings.concurrency, errorDelayMs });
      const retries = await events.consume(Consumers.fulfilmentRetries, worker.handleRetryDue, { concurrency: settings.retryConcurrency, errorDelayMs });
      scheduler.start();
      return async () => {
        intake.stop();
        worker.stop();
        offers.stop();
        await scheduler.stop();
        await Promise.all([submitted.stop(), retries.stop()]);
      };
    },
  };
}
