import { connectHandler, rpcCallersFromConfig, runMain, runService, serveOptions } from "@t2m/platform";
import { RpcAccess, RpcCallersOf } from "@t2m/topology";
import { catalogueRoutes, loadCatalogue } from "./app.js";
import { loadCatalogueConfig } from "./config.js";

runMain(async () => {
  const config = loadCatalogueConfig();
  const catalogue = await loadCatalogue(config.CATALOGUE_FILE);
  await runService({
    name: "catalogue",
    ...serveOptions(config),
    rpcAuth: { policy: RpcAccess, callers: rpcCallersFromConfig(config, RpcCallersOf.catalogue) },
    start: async (rt) => {
      rt.logger.info({ file: config.CATALOGUE_FILE, products: catalogue.products.length }, "catalogue loaded");
      return connectHandler(catalogueRoutes(catalogue), rt.logger, rt.metrics);
    },
  });
});
