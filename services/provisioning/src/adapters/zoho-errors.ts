import { Code, ConnectError, reasonedError } from "@t2m/platform";
import { ZohoApiError } from "./zoho/index.js";

/**
 * What callers of provisioning see when Zoho fails: UNAVAILABLE when trying
 * again may work (timeouts, 429, 5xx), FAILED_PRECONDITION with reason
 * ZOHO_REJECTED when it will not. The client's messages name the operation
 * and Zoho's own message, never a token or secret.
 */
export function zohoErrorToConnect(err: unknown): ConnectError | undefined {
  if (!(err instanceof ZohoApiError)) return undefined;
  if (err.retryable) return new ConnectError(err.message, Code.Unavailable);
  return reasonedError(Code.FailedPrecondition, "ZOHO_REJECTED", `Zoho rejected the order: ${err.message}`);
}
