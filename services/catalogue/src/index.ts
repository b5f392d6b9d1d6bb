export { Catalogue, CatalogueFileError, toMinorUnits } from "./domain/catalogue.js";
export { catalogueRoutes, loadCatalogue } from "./app.js";
export { bundledCatalogueFile, loadCatalogueConfig } from "./config.js";
