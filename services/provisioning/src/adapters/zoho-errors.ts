import { Code, ConnectError } from "@t2m/platform";
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ErrorReasonSchema, RetryInfoSchema } from "@t2m/proto/common/v1/common";
import { LicencePendingManualSchema, LicenceTaskFailedSchema } from "@t2m/proto/provisioning/v1/licence_tasks";
import { LicencePendingManual, LicenceTaskFailed } from "../domain/licence-tasks.js";
import { BudgetExhaustedError, BudgetUnavailableError } from "../domain/call-budget.js";
import { IntegrityError, ReconcilePendingError } from "../domain/sales-orders.js";
import { ZOHO_NOT_AUTHORIZED_CODE, ZohoApiError } from "./zoho/index.js";

/** Stable ErrorReason values of ProvisioningService (callers decide by code and reason, never by message). */
export const ProvisioningReasons = {
  /** RESOURCE_EXHAUSTED: Zoho's call budget is spent for now; RetryInfo says when to call again. Not a failure. */
  budgetExhausted: "ZOHO_BUDGET_EXHAUSTED",
  /** UNAVAILABLE: Zoho failed or did not answer (5xx, timeout, network); RetryInfo when Zoho said when. */
  unavailable: "ZOHO_UNAVAILABLE",
  /** UNAVAILABLE: the shared call budget (NATS KV) could not be reached; retry with backoff. */
  budgetUnavailable: "ZOHO_BUDGET_UNAVAILABLE",
  /** ABORTED: Zoho refused the number but whether it holds the order is not proven yet. Retry; never fail the order on it. */
  reconcilePending: "ZOHO_RECONCILE_PENDING",
  /** FAILED_PRECONDITION: no Zoho item has the product's SKU. */
  itemMissing: "ZOHO_ITEM_MISSING",
  /** FAILED_PRECONDITION: Zoho refused our credentials or scope (an operator must fix the configuration). */
  notAuthorised: "ZOHO_NOT_AUTHORISED",
  /** FAILED_PRECONDITION: Zoho holds a sales order with the order's number that is not this order's to take over. */
  numberConflict: "ZOHO_NUMBER_CONFLICT",
  /** FAILED_PRECONDITION: Zoho answered in a way the client cannot read. */
  unexpectedResponse: "ZOHO_UNEXPECTED_RESPONSE",
  /** FAILED_PRECONDITION: any other refusal by Zoho (a 4xx). */
  rejected: "ZOHO_REJECTED",
  /** DATA_LOSS: Zoho's answer clashes with another order's records. Permanent; alerts (t2m_integrity_errors_total). */
  integrity: "INTEGRITY_ERROR",
  /**
   * UNAVAILABLE with a LicencePendingManual detail: the licence waits in the manual queue for an operator.
   * Not a failure: ask again later. (UNAVAILABLE, so a caller that does not know the reason retries too.)
   */
  licencePendingManual: "LICENCE_PENDING_MANUAL",
  /** FAILED_PRECONDITION with a LicenceTaskFailed detail: an operator failed the licence task, with a reason. */
  licenceTaskFailed: "LICENCE_TASK_FAILED",
} as const;

export interface FailureClass {
  readonly code: Code;
  readonly reason: string;
  readonly message: string;
  readonly retryDelayMs?: number;
  /** Typed details beside the ErrorReason. */
  readonly details?: ReadonlyArray<{ desc: DescMessage; value: MessageInitShape<DescMessage> }>;
}

/**
 * How a failure reaches callers, per ProvisioningService's error contract.
 * Messages may carry internal detail (callers are internal services that
 * log it; the REST gateway never shows it) and never credentials: the Zoho
 * client's messages name the operation and Zoho's own words only.
 */
export function classifyFailure(err: unknown): FailureClass | undefined {
  if (err instanceof BudgetExhaustedError) {
    return { code: Code.ResourceExhausted, reason: ProvisioningReasons.budgetExhausted, message: err.message, retryDelayMs: Math.ceil(err.retryAfterMs) };
  }
  if (err instanceof BudgetUnavailableError) return { code: Code.Unavailable, reason: ProvisioningReasons.budgetUnavailable, message: err.message };
  if (err instanceof ReconcilePendingError) return { code: Code.Aborted, reason: ProvisioningReasons.reconcilePending, message: err.message };
  if (err instanceof IntegrityError) return { code: Code.DataLoss, reason: ProvisioningReasons.integrity, message: err.message };
  if (err instanceof LicencePendingManual) {
    return {
      code: Code.Unavailable,
      reason: ProvisioningReasons.licencePendingManual,
      message: err.message,
      details: [{ desc: LicencePendingManualSchema, value: { orderId: err.orderId, waitingSince: timestampFromDate(err.waitingSince) } }],
    };
  }
  if (err instanceof LicenceTaskFailed) {
    return {
      code: Code.FailedPrecondition,
      reason: ProvisioningReasons.licenceTaskFailed,
      message: err.message,
      details: [{ desc: LicenceTaskFailedSchema, value: { orderId: err.orderId, reason: err.reason, failedAt: timestampFromDate(err.failedAt) } }],
    };
  }
  if (!(err instanceof ZohoApiError)) return undefined;
  switch (err.kind) {
    case "missing-item":
      return { code: Code.FailedPrecondition, reason: ProvisioningReasons.itemMissing, message: err.message };
    case "conflict":
      return { code: Code.FailedPrecondition, reason: ProvisioningReasons.numberConflict, message: err.message };
    case "unexpected-response":
      return { code: Code.FailedPrecondition, reason: ProvisioningReasons.unexpectedResponse, message: err.message };
    default:
      break;
  }
  if (err.retryable) {
    return {
      code: Code.Unavailable,
      reason: ProvisioningReasons.unavailable,
      message: err.message,
      ...(err.retryAfterMs === undefined ? {} : { retryDelayMs: Math.ceil(err.retryAfterMs) }),
    };
  }
  if (err.kind === "oauth" || err.httpStatus === 401 || err.zohoCode === ZOHO_NOT_AUTHORIZED_CODE) {
    return { code: Code.FailedPrecondition, reason: ProvisioningReasons.notAuthorised, message: `Zoho refused our credentials: ${err.message}` };
  }
  return { code: Code.FailedPrecondition, reason: ProvisioningReasons.rejected, message: `Zoho rejected the order: ${err.message}` };
}

/** The ConnectError for a failure: its code, an ErrorReason, and RetryInfo when there is a delay to give. */
export function toConnectError(failure: FailureClass): ConnectError {
  return new ConnectError(failure.message, failure.code, undefined, [
    { desc: ErrorReasonSchema, value: { reason: failure.reason, message: failure.message } },
    ...(failure.retryDelayMs === undefined ? [] : [{ desc: RetryInfoSchema, value: { retryDelayMs: BigInt(failure.retryDelayMs) } }]),
    ...(failure.details ?? []),
  ]);
}

/** Turns a Zoho, budget, reconcile or integrity failure into the ConnectError callers see; undefined for anything else. */
export function zohoErrorToConnect(err: unknown): ConnectError | undefined {
  const failure = classifyFailure(err);
  return failure ? toConnectError(failure) : undefined;
}
