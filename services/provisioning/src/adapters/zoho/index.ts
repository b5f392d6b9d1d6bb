export {
  unlimitedGate,
  ZohoInventoryClient,
  type ZohoCallGate,
  type ZohoClientOptions,
  type ZohoCredentials,
} from "./client.js";
export {
  isNumberTakenRefusal,
  isRateLimitAnswer,
  isRetryableStatus,
  ZOHO_DOES_NOT_EXIST_CODE,
  ZOHO_NOT_AUTHORIZED_CODE,
  ZOHO_RATE_LIMIT_CODE,
  ZohoApiError,
  type ZohoFailureKind,
  type ZohoOperation,
} from "./errors.js";
export type { ZohoCallOutcome, ZohoRequestEvent } from "./http.js";
export { defaultPausePolicy, rateLimitPauseMs, type PausePolicy } from "./rate-limit.js";
export type { NewContact, NewSalesOrder, NewSalesOrderLine, ZohoContact, ZohoItem, ZohoSalesOrder } from "./wire.js";
export { calendarDate } from "./wire.js";
