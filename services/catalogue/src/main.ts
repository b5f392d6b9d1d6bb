import { connectHandler, runMain, runService, serveOptions } from "@t2m/platform";
import { catalogueRoutes, loadCatalogue } from "./app.js";
import { loadCatalogueConfig } from "./config.js";

runMain(async () => {
  const config = loadCatalogueConfig();
  const catalogue = await loadCatalogue(config.CATALOGUE_FILE);
  await runService({
    name: "catalogue",
    ...serveOptions(config),
    start: async (rt) => {
      rt.logger.info({ file: config.CATALOGUE_FILE, products: catalogue.products.length }, "catalogue loaded");
      return connectHandler(catalogueRoutes(catalogue), rt.logger, rt.metrics);
    },
  });
});
