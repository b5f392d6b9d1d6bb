export { ZohoApiError, ZohoInventoryClient, type ZohoClientOptions } from "./adapters/zoho/index.js";
export { addMonths } from "./domain/subscription.js";
export { loadProvisioningConfig } from "./config.js";
