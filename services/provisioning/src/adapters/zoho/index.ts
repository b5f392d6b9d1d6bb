export {
  ZohoInventoryClient,
  type ConfirmedSalesOrder,
  type ConfirmedSalesOrderRequest,
  type ZohoClientOptions,
  type ZohoCredentials,
} from "./client.js";
export { isRetryableStatus, ZohoApiError, type ZohoFailureKind, type ZohoOperation } from "./errors.js";
export type { ZohoRequestEvent } from "./http.js";
export type { NewContact, NewSalesOrder, NewSalesOrderLine, ZohoContact, ZohoItem, ZohoSalesOrder } from "./wire.js";
