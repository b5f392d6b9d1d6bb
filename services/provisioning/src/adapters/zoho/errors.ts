/** The Zoho calls the client makes, named as the sandbox names them. */
export type ZohoOperation =
  | "token"
  | "listItems"
  | "findContacts"
  | "createContact"
  | "createSalesOrder"
  | "listSalesOrders"
  | "getSalesOrder"
  | "confirmSalesOrder"
  | "bulkConfirmSalesOrders"
  | "voidSalesOrder";

/**
 * What went wrong:
 * - `http`: Zoho answered with an error status or a non-zero `code`;
 * - `oauth`: the token endpoint answered `{"error": …}` (Zoho does so with HTTP 200);
 * - `timeout`, `network`: no answer;
 * - `unexpected-response`: an answer the client cannot read;
 * - `missing-item`: no Zoho item has the product's SKU;
 * - `conflict`: Zoho holds a sales order with our number that is not ours to reuse.
 */
export type ZohoFailureKind = "http" | "oauth" | "timeout" | "network" | "unexpected-response" | "missing-item" | "conflict";

export interface ZohoApiErrorInit {
  readonly operation: ZohoOperation;
  readonly kind: ZohoFailureKind;
  readonly message: string;
  readonly retryable: boolean;
  readonly httpStatus?: number;
  readonly zohoCode?: number;
  /** Zoho's own message, e.g. `Sales Order "T2M-1" already exists.` */
  readonly zohoMessage?: string;
  /** When Zoho said to try again (Retry-After), in ms from the answer. */
  readonly retryAfterMs?: number;
  readonly oauthError?: string;
  readonly cause?: unknown;
}

/**
 * A failed Zoho call. `retryable` says whether the same call may succeed
 * later (no answer, 429, 5xx) or will keep failing (a 4xx: our request or
 * Zoho's data is wrong). Messages carry Zoho's own words, never credentials.
 */
export class ZohoApiError extends Error {
  readonly operation: ZohoOperation;
  readonly kind: ZohoFailureKind;
  readonly retryable: boolean;
  readonly httpStatus: number | undefined;
  readonly zohoCode: number | undefined;
  readonly zohoMessage: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly oauthError: string | undefined;

  constructor(init: ZohoApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "ZohoApiError";
    this.operation = init.operation;
    this.kind = init.kind;
    this.retryable = init.retryable;
    this.httpStatus = init.httpStatus;
    this.zohoCode = init.zohoCode;
    this.zohoMessage = init.zohoMessage;
    this.retryAfterMs = init.retryAfterMs;
    this.oauthError = init.oauthError;
  }
}

/** Zoho's "Request Limit Exceeded" [T]. */
export const ZOHO_RATE_LIMIT_CODE = 45;
/** Zoho's "You are not authorized to perform this operation" [T]. */
export const ZOHO_NOT_AUTHORIZED_CODE = 57;
/** Zoho's "<Resource> does not exist." [C]. */
export const ZOHO_DOES_NOT_EXIST_CODE = 1002;

/** Statuses worth retrying: Zoho's rate limit, timeouts and its own failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Zoho is over its limit: HTTP 429, or code 45 on whatever status carries it. */
export function isRateLimitAnswer(status: number, zohoCode: number | undefined): boolean {
  return status === 429 || zohoCode === ZOHO_RATE_LIMIT_CODE;
}

/** A refusal to create a sales order because its number is taken; Zoho documents no code for it, only words [U]. */
export function isNumberTakenRefusal(err: ZohoApiError): boolean {
  return err.kind === "http" && !err.retryable && /already exists|already been used|duplicate/i.test(err.zohoMessage ?? "");
}
