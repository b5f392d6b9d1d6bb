import { runMain, runService } from "@t2m/platform";
import { createZohoSandboxApp, readSeedCatalogue } from "./app.js";
import { loadSandboxConfig } from "./config.js";

runMain(async () => {
  const config = loadSandboxConfig();
  const catalogue = await readSeedCatalogue(config.catalogueFile);
  await runService({
    name: "zoho-sandbox",
    port: config.port,
    host: config.host,
    logLevel: config.logLevel,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    start: async (runtime) => {
      const app = createZohoSandboxApp({ ...config, ...catalogue }, runtime.logger);
      // Shutdown closes HTTP first and waits for answers in flight; answers
      // held by delay faults are dropped as soon as the signal arrives instead.
      for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => app.cancelDelays());
      runtime.logger.info({ organizationId: config.organizationId, items: catalogue.items.length }, "sandbox organisation ready");
      return app.handler;
    },
  });
});
