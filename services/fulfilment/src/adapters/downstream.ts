import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { Code, ConnectError, reasonOf, retryDelayOf } from "@t2m/platform";
import { SalesOrderDisposition, type ProvisioningService, type SubscriptionService } from "@t2m/proto/provisioning/v1/provisioning";
import { LicencePendingManualSchema, LicenceTaskFailedSchema } from "@t2m/proto/provisioning/v1/licence_tasks";
import type { FailureCode, StepFailure } from "../domain/failures.js";
import type { LicenceResult, OrderRecord, SalesOrderResult } from "../domain/order.js";

/** Which downstream step failed, so a permanent failure maps to the right public code. */
export class StepError extends Error {
  constructor(
    readonly step: "sales-order" | "licence" | "void",
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "StepError";
  }
}

const tagged = <T>(step: StepError["step"], run: () => Promise<T>): Promise<T> =>
  run().catch((err: unknown) => {
    throw new StepError(step, err);
  });

/** Provisioning's RPCs as the attempt runner needs them. A renewal's licence step renews its subscription. */
export function provisioningSteps(provisioning: Client<typeof ProvisioningService>, subscriptions: Pick<Client<typeof SubscriptionService>, "renewSubscription">) {
  return {
    createSalesOrder: (order: OrderRecord): Promise<SalesOrderResult> =>
      tagged("sales-order", async () => {
        const res = await provisioning.createSalesOrder({
          orderId: order.orderId,
          customer: order.customer,
          line: {
            sku: order.zohoItemSku,
            name: order.productName,
            description: order.renews
              ? `${order.productName}, renewal for ${order.tenure.replace("_", " ").toLowerCase()} of ${order.renews.reference} (T2Mobile order ${order.orderId})`
              : `${order.productName}, ${order.tenure.replace("_", " ").toLowerCase()} (T2Mobile order ${order.orderId})`,
            rate: { currencyCode: order.price.currencyCode, amountMinor: BigInt(order.price.amountMinor) },
            quantity: 1,
          },
          acceptedAt: timestampFromDate(order.createdAt),
        });
        return { zohoSalesOrderId: res.zohoSalesOrderId, zohoSalesOrderNumber: res.zohoSalesOrderNumber, zohoCustomerId: res.zohoCustomerId };
      }),
    provisionLicence: (order: OrderRecord, salesOrder: SalesOrderResult): Promise<LicenceResult> =>
      tagged("licence", async () => {
        const { subscription } = order.renews
          ? await subscriptions.renewSubscription({
              renewalOrderId: order.orderId,
              subscriptionId: order.renews.subscriptionId,
              zohoSalesOrderId: salesOrder.zohoSalesOrderId,
              tenure: order.tenure,
              tenureMonths: order.tenureMonths,
            })
          : await provisioning.provisionLicence({
              orderId: order.orderId,
              zohoSalesOrderId: salesOrder.zohoSalesOrderId,
              productId: order.productId,
              tenure: order.tenure,
              tenureMonths: order.tenureMonths,
              customer: order.customer,
            });
        if (!subscription?.expiryDate || !subscription.activationReference) {
          throw new ConnectError("provisioning returned no subscription", Code.Internal);
        }
        return { activationReference: subscription.activationReference, expiryDate: timestampDate(subscription.expiryDate) };
      }),
    voidSalesOrder: (order: OrderRecord, code: FailureCode): Promise<"VOIDED" | "FLAGGED" | "NONE"> =>
      tagged("void", async () => {
        const { disposition } = await provisioning.voidSalesOrder({ orderId: order.orderId, reason: code });
        if (disposition === SalesOrderDisposition.VOIDED) return "VOIDED";
        if (disposition === SalesOrderDisposition.FLAGGED) return "FLAGGED";
        return "NONE";
      }),
  };
}

const DEFAULT_BUDGET_WAIT_MS = 1_000;

/** Reasons a permanent-looking answer carries that are about IconTech's side, not the order. */
const HELD_REASONS = new Set(["ZOHO_NOT_AUTHORISED", "ZOHO_UNEXPECTED_RESPONSE"]);

/** Codes after which the same request can never succeed. */
const PERMANENT = new Set([Code.InvalidArgument, Code.FailedPrecondition, Code.NotFound, Code.PermissionDenied, Code.Unimplemented, Code.OutOfRange, Code.AlreadyExists]);

/**
 * How a failed step should be treated, following provisioning's documented
 * error contract (provisioning.proto). Anything unexpected (a network error,
 * INTERNAL) is transient: retried until the order is too old, never failed
 * on the first sight of it.
 */
export function classifyStepError(err: unknown): StepFailure {
  const step = err instanceof StepError ? err.step : "sales-order";
  const cause = err instanceof StepError ? err.cause : err;
  if (!(cause instanceof ConnectError)) {
    return { kind: "transient", detail: `${step}: ${cause instanceof Error ? cause.message : String(cause)}` };
  }
  const detail = `${step}: ${Code[cause.code]}${reasonOf(cause) ? ` ${reasonOf(cause)}` : ""}: ${cause.rawMessage}`;
  if (cause.code === Code.ResourceExhausted) return { kind: "budget", retryAfterMs: retryDelayOf(cause) ?? DEFAULT_BUDGET_WAIT_MS };
  if (cause.code === Code.Aborted && reasonOf(cause) === "ZOHO_RECONCILE_PENDING") return { kind: "reconcile", detail };
  if (cause.code === Code.DataLoss) return { kind: "permanent", code: "INTERNAL_ERROR", detail };
  // The manual licence queue: waiting for an operator is not a failure; an operator's refusal fails the order with their words.
  if (reasonOf(cause) === "LICENCE_PENDING_MANUAL") {
    const pending = cause.findDetails(LicencePendingManualSchema)[0];
    return { kind: "manual", detail, ...(pending?.waitingSince ? { waitingSince: timestampDate(pending.waitingSince) } : {}) };
  }
  if (step === "licence" && reasonOf(cause) === "LICENCE_TASK_FAILED") {
    const refusal = cause.findDetails(LicenceTaskFailedSchema)[0];
    return { kind: "permanent", code: "PROVISIONING_FAILED", detail, ...(refusal?.reason ? { partnerReason: refusal.reason } : {}) };
  }
  // Our Zoho credentials or an answer we cannot read: not the order's fault, so hold it (retry) until fixed or too old.
  if (HELD_REASONS.has(reasonOf(cause) ?? "")) return { kind: "transient", detail };
  // A renewal whose subscription was revoked after intake's check.
  if (step === "licence" && reasonOf(cause) === "SUBSCRIPTION_REVOKED") return { kind: "permanent", code: "SUBSCRIPTION_REVOKED", detail };
  if (PERMANENT.has(cause.code)) {
    const code: FailureCode =
      step === "licence" ? "PROVISIONING_FAILED" : reasonOf(cause) === "ZOHO_ITEM_MISSING" ? "PRODUCT_UNAVAILABLE" : "ORDER_REJECTED";
    return { kind: "permanent", code, detail };
  }
  const retryAfterMs = retryDelayOf(cause);
  return { kind: "transient", detail, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}
