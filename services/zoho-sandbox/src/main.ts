import { runMain, runService } from "@t2m/platform";
import { createZohoSandboxApp, readSeedCatalogue } from "./app.js";
import { loadSandboxConfig } from "./config.js";
import { SandboxStateFile } from "./state-file.js";

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
      const stateFile = config.stateFile ? new SandboxStateFile(config.stateFile, { logger: runtime.logger }) : undefined;
      const restore = await stateFile?.load();
      const app = createZohoSandboxApp({ ...config, ...catalogue, restore }, runtime.logger, { stateFile });
      // Shutdown closes HTTP first and waits for answers in flight; answers
      // held by delay faults are dropped as soon as the signal arrives instead.
      for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => app.cancelDelays());
      runtime.onShutdown({ name: "state-file", run: () => app.flush() });
      runtime.logger.info(
        {
          items: catalogue.items.length,
          stateFile: config.stateFile,
          restored: restore ? { contacts: restore.contacts.length, salesOrders: restore.salesOrders.length } : undefined,
          rateLimitPerMinute: config.rateLimitPerMinute,
          maxConcurrent: config.maxConcurrent,
        },
        "sandbox organisation ready",
      );
      return app.handler;
    },
  });
});
