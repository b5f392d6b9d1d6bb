import { connectHandler, runMain, runService, serviceClient, serveOptions } from "@t2m/platform";
import { Consumers, OrdersStream } from "@t2m/topology";
import { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import { ProvisioningService } from "@t2m/proto/provisioning/v1/provisioning";
import { createFulfilment } from "./app.js";
import { loadFulfilmentConfig } from "./config.js";

runMain(async () => {
  const config = loadFulfilmentConfig();
  await runService<true, true>({
    name: "fulfilment",
    ...serveOptions(config),
    nats: { url: config.NATS_URL, ackWaitMs: config.NATS_ACK_WAIT_MS, streams: [OrdersStream], consumers: [Consumers.fulfilmentSubmitted] },
    mongodbUrl: config.MONGODB_URL,
    start: async (rt) => {
      const fulfilment = await createFulfilment({
        runtime: rt,
        database: rt.database,
        events: rt.events,
        catalogue: serviceClient(CatalogueService, { baseUrl: config.CATALOGUE_URL, metrics: rt.metrics }),
        // Creating a sales order makes several Zoho calls in a row.
        provisioning: serviceClient(ProvisioningService, { baseUrl: config.PROVISIONING_URL, metrics: rt.metrics, timeoutMs: 60_000 }),
        concurrency: config.FULFILMENT_CONCURRENCY,
        relayIntervalMs: config.OUTBOX_RELAY_INTERVAL_MS,
      });
      const stopWorkers = await fulfilment.startWorkers();
      rt.onShutdown({ name: "order worker", run: stopWorkers });
      return connectHandler(fulfilment.routes, rt.logger, rt.metrics);
    },
  });
});
