/**
 * Zoho's numeric error codes as the sandbox answers them. Tags follow
 * shared/reference/zoho-api.md: [C] official page, [T] third-party or
 * observed, [U] not documented anywhere, so the sandbox chose it.
 */
export const ZohoCode = {
  success: 0,
  /** [T] Books' error list uses 2–9 for "Invalid value passed"; the sandbox answers bad input with 2. */
  invalidValue: 2,
  /** [T] Books' error list: "Invalid URL Passed". */
  invalidUrl: 5,
  /** [T] "Request Limit Exceeded" (blog only). */
  requestLimitExceeded: 45,
  /** [T] "You are not authorized to perform this operation": bad token, wrong org, data centre or scope. */
  notAuthorized: 57,
  /** [C] "Internal error". */
  internalError: 1000,
  /** [U] Books answers an existing invoice number with 1001 "… already exists"; Inventory documents no code for a duplicate salesorder_number. */
  alreadyExists: 1001,
  /** [C] "<Resource> does not exist." */
  doesNotExist: 1002,
  /** [T] "JSON is not well formed". */
  malformedJson: 1038,
  /** [T] "This user is not associated with any organization." */
  noOrganization: 9017,
  /** [U] Sandbox-chosen: a status change the order's current status does not allow (e.g. confirming twice). */
  statusChangeNotAllowed: 36015,
} as const;

/** A failure answered the way Zoho answers: an HTTP status and a `{code, message}` body. */
export class ZohoError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "ZohoError";
  }

  get envelope(): { code: number; message: string } {
    return { code: this.code, message: this.message };
  }
}

export const invalidValue = (message: string) => new ZohoError(400, ZohoCode.invalidValue, message);
