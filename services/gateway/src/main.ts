import { natsCredentials, runMain, runService, serviceClient, serveOptions } from "@t2m/platform";
import { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import { FulfilmentService } from "@t2m/proto/fulfilment/v1/fulfilment";
import { buildGateway } from "./app.js";
import { loadGatewayConfig } from "./config.js";

runMain(async () => {
  const config = loadGatewayConfig();
  await runService<true, true>({
    name: "gateway",
    ...serveOptions(config),
    // The gateway declares no consumers; it holds NATS and MongoDB only to report their health.
    nats: { url: config.NATS_URL, credentials: natsCredentials(config), ackWaitMs: 30_000, streams: [], consumers: [] },
    mongodbUrl: config.MONGODB_URL,
    // Without NATS or MongoDB the gateway still answers (503 problem details,
    // and /t2mobile/health says which is down), so it stays ready.
    readyOnlyWithConnections: false,
    start: async (rt) => {
      const app = await buildGateway({
        logger: rt.logger,
        registry: rt.metrics.registry,
        apiKey: config.T2MOBILE_API_KEY,
        catalogue: serviceClient(CatalogueService, { baseUrl: config.CATALOGUE_URL, metrics: rt.metrics, token: config.RPC_TOKEN_GATEWAY }),
        fulfilment: serviceClient(FulfilmentService, { baseUrl: config.FULFILMENT_URL, metrics: rt.metrics, token: config.RPC_TOKEN_GATEWAY }),
        health: [rt.events.readiness(), rt.database.readiness()],
        rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
        bodyLimitBytes: config.BODY_LIMIT_BYTES,
        trustProxy: config.TRUST_PROXY,
      });
      rt.onShutdown({ name: "fastify", run: () => app.close() });
      return app.routing;
    },
  });
});
