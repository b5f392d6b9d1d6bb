/**
 * The failure codes T2Mobile sees (REST `failureCode`, webhook `error.code`),
 * each with a fixed message. They are part of the published API: add codes,
 * never change one's meaning. What actually went wrong (hosts, Zoho ids and
 * answers, database errors) stays in `failureDetail`, which only IconTech's
 * logs and internal RPCs carry.
 */
export const FAILURE_MESSAGES = {
  PRODUCT_UNAVAILABLE: "The product cannot be supplied at the moment; it is not set up in IconTech's inventory.",
  ORDER_REJECTED: "The order was refused by the licensing system because of its details (customer or product data).",
  PROVISIONING_FAILED: "The licence could not be provisioned.",
  TIMED_OUT: "The order could not be completed in time because a system it depends on kept failing.",
  INTERNAL_ERROR: "IconTech could not complete the order because of an internal error; support has been alerted.",
  SUBSCRIPTION_REVOKED: "The subscription this order renews was revoked; it cannot be renewed.",
} as const;

export type FailureCode = keyof typeof FAILURE_MESSAGES;

export const failureMessage = (code: FailureCode): string => FAILURE_MESSAGES[code];

/** How a failed step should be treated, decided from the error alone. */
export type StepFailure =
  /** Zoho's shared call budget is spent for now. Waiting is not a failed attempt. */
  | { readonly kind: "budget"; readonly retryAfterMs: number }
  /** Might work later (a timeout, a 5xx, a dependency down). */
  | { readonly kind: "transient"; readonly detail: string; readonly retryAfterMs?: number }
  /**
   * The licence waits in the manual queue for an operator (LICENCE_PROVISIONER=manual): check again after
   * the poll delay, without counting a failed attempt, until the wait is too long.
   */
  | { readonly kind: "manual"; readonly detail: string; readonly waitingSince?: Date }
  /** Whether Zoho made the sales order is not proven yet: retry, never fail on a guess. */
  | { readonly kind: "reconcile"; readonly detail: string }
  /** Will never work; fail the order with this code. */
  | {
      readonly kind: "permanent";
      readonly code: FailureCode;
      readonly detail: string;
      /** Words a person wrote for the partner (an operator failing a licence task), shown after the code's message. */
      readonly partnerReason?: string;
    };

/** The failure text the partner sees: the code's fixed message, and an operator's own words when there are any. */
export function partnerFailureReason(code: FailureCode, partnerReason?: string): string {
  return partnerReason ? `${FAILURE_MESSAGES[code].replace(/\.$/, "")}: ${partnerReason}` : FAILURE_MESSAGES[code];
}
