import { natsCredentials, runMain, runService, serviceClient, serveOptions } from "@t2m/platform";
import { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import { FulfilmentService } from "@t2m/proto/fulfilment/v1/fulfilment";
import { SubscriptionService } from "@t2m/proto/provisioning/v1/provisioning";
import { PartnerService } from "@t2m/proto/partners/v1/partners";
import { KvBuckets } from "@t2m/topology";
import { buildGateway } from "./app.js";
import { problem } from "./domain/problem.js";
import { loadGatewayConfig } from "./config.js";
import { PartnerDirectory } from "./adapters/partner-directory.js";
import { KvWindowStore, RateLimiter } from "./adapters/rate-limiter.js";

runMain(async () => {
  const config = loadGatewayConfig();
  await runService<true, true>({
    name: "gateway",
    ...serveOptions(config),
    // The gateway declares no consumers; it keeps the partners' request budgets in NATS KV.
    nats: { url: config.NATS_URL, credentials: natsCredentials(config), ackWaitMs: 30_000, streams: [], consumers: [] },
    mongodbUrl: config.MONGODB_URL,
    // Without NATS or MongoDB the gateway still answers (503 problem details,
    // and /t2mobile/health says which is down), so it stays ready.
    readyOnlyWithConnections: false,
    // Requests Node's HTTP parser refuses are answered as problem+json too.
    clientErrorProblem: (status) =>
      status === 431 ? problem("HEADERS_TOO_LARGE", "the request's headers are too large") : problem("INVALID_REQUEST", "the request is not valid HTTP/1.1"),
    start: async (rt) => {
      const fulfilment = serviceClient(FulfilmentService, { baseUrl: config.FULFILMENT_URL, metrics: rt.metrics, token: config.RPC_TOKEN_GATEWAY });
      const partners = new PartnerDirectory(serviceClient(PartnerService, { baseUrl: config.FULFILMENT_URL, metrics: rt.metrics, token: config.RPC_TOKEN_GATEWAY, timeoutMs: 5_000 }), rt.logger, {
        bootstrapKey: config.T2MOBILE_API_KEY,
        refreshMs: config.PARTNER_REFRESH_MS,
        usageFlushMs: config.KEY_USAGE_FLUSH_MS,
      });
      await partners.start();
      const limits = await rt.events.kv(KvBuckets.gatewayRateLimits, { maxAgeMs: 120_000 });
      const app = await buildGateway({
        logger: rt.logger,
        registry: rt.metrics.registry,
        partners,
        rateLimiter: new RateLimiter(new KvWindowStore(limits), rt.logger, rt.metrics.registry),
        catalogue: serviceClient(CatalogueService, { baseUrl: config.CATALOGUE_URL, metrics: rt.metrics, token: config.RPC_TOKEN_GATEWAY }),
        fulfilment,
        subscriptions: serviceClient(SubscriptionService, { baseUrl: config.PROVISIONING_URL, metrics: rt.metrics, token: config.RPC_TOKEN_GATEWAY }),
        health: [rt.events.readiness(), rt.database.readiness()],
        rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
        bodyLimitBytes: config.BODY_LIMIT_BYTES,
        trustProxy: config.TRUST_PROXY,
        idempotencyWaitMs: config.IDEMPOTENCY_WAIT_MS,
      });
      rt.onShutdown({ name: "fastify", run: () => app.close() });
      rt.onShutdown({ name: "partner directory", run: () => partners.stop() });
      return app.routing;
    },
  });
});
