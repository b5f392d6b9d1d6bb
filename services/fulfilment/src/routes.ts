import type { ConnectRouter } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { SpanKind } from "@opentelemetry/api";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, errorStatusOf, invalidArgument, reasonedError, withItemTrace, type Logger } from "@t2m/platform";
import {
  FulfilmentService,
  OrderStatus as OrderStatusProto,
  SubmitOrderResponseSchema,
  SubmitOrderResultSchema,
  type SubmitOrderRequest,
  type SubmitOrderResponse,
  type SubmitOrderResult,
} from "@t2m/proto/fulfilment/v1/fulfilment";
import { asAccepted, prepareOrder } from "./domain/accept-order.js";
import { listOrders, ListingRejected } from "./domain/listing.js";
import { checkPartnerId, DEFAULT_PARTNER_ID, PartnerRejected, platformOrderId } from "./domain/partner.js";
import { fieldProblem, OrderFieldRules } from "@t2m/topology";
import type { OfferLookup } from "./domain/offers.js";
import { planOperatorRetry } from "./domain/operator-retry.js";
import { OrderRejected, type OrderStatus, type RejectionReason } from "./domain/order.js";
import type { OrderSubmission } from "./domain/submission.js";
import { CatalogueNotLoaded } from "./adapters/catalogue-offers.js";
import type { OrderIntake } from "./adapters/intake.js";
import type { RenewalCheck } from "./adapters/renewals.js";
import type { OrderStore } from "./adapters/order-store.js";
import { toOrderMessage } from "./adapters/order-view.js";
import type { FulfilmentMetrics } from "./metrics.js";

const REJECTION_CODES: Record<RejectionReason, Code> = {
  INVALID_ORDER: Code.InvalidArgument,
  PRODUCT_NOT_FOUND: Code.FailedPrecondition,
  TENURE_NOT_OFFERED: Code.FailedPrecondition,
  IDEMPOTENCY_KEY_REUSED: Code.FailedPrecondition,
  ORDER_ID_TAKEN: Code.AlreadyExists,
  RENEWED_SUBSCRIPTION_NOT_FOUND: Code.FailedPrecondition,
  SUBSCRIPTION_REVOKED: Code.FailedPrecondition,
  RENEWAL_MISMATCH: Code.FailedPrecondition,
};

function toConnectError(err: OrderRejected): ConnectError {
  if (err.reason === "INVALID_ORDER") return invalidArgument(err.violations, err.message);
  return reasonedError(REJECTION_CODES[err.reason], err.reason, err.message);
}

export function submissionOf(req: SubmitOrderRequest): OrderSubmission {
  return {
    partnerId: req.partnerId || DEFAULT_PARTNER_ID,
    idempotencyKey: req.idempotencyKey,
    orderId: req.orderId,
    productId: req.productId,
    tenure: req.tenure,
    customer: {
      customerId: req.customer?.customerId ?? "",
      name: req.customer?.name ?? "",
      email: req.customer?.email ?? "",
      phone: req.customer?.phone ?? "",
    },
    ...(req.renews ? { renews: req.renews } : {}),
  };
}

const STATUS_FROM_PROTO: Record<OrderStatusProto, OrderStatus | undefined> = {
  [OrderStatusProto.UNSPECIFIED]: undefined,
  [OrderStatusProto.PENDING]: "PENDING",
  [OrderStatusProto.PROCESSING]: "PROCESSING",
  [OrderStatusProto.FULFILLED]: "FULFILLED",
  [OrderStatusProto.FAILED]: "FAILED",
};

function checkPartner(partnerId: string): void {
  try {
    checkPartnerId(partnerId);
  } catch (err) {
    if (err instanceof PartnerRejected) throw invalidArgument([{ field: "partner_id", description: err.message }]);
    throw err;
  }
}

export interface RouteDependencies {
  readonly intake: Pick<OrderIntake, "accept">;
  readonly store: Pick<OrderStore, "read" | "changedOn">;
  readonly offers: { find(productId: string, tenure: string): OfferLookup };
  /** A renewal's one check at intake (provisioning's SubscriptionService); other orders make no call. */
  readonly renewals: RenewalCheck;
  /** Publishes an operator's re-drive of an unfinished order's next attempt (the worker does the attempt). */
  readonly redrive: (orderId: string, attempt: number, now: Date) => Promise<{ duplicate: boolean }>;
  readonly metrics: FulfilmentMetrics;
  readonly logger: Logger;
}

/** FulfilmentService: accepting orders (validated, priced from memory, group-committed) and reading them. */
export function fulfilmentRoutes(deps: RouteDependencies) {
  const submitOrder = async (req: SubmitOrderRequest): Promise<SubmitOrderResponse> => {
    try {
      if (req.partnerId) checkPartner(req.partnerId);
      let order = prepareOrder(submissionOf(req), (p, t) => deps.offers.find(p, t), new Date());
      if (order.renews) order = { ...order, renews: { ...order.renews, subscriptionId: await deps.renewals.prepare(order) } };
      const accepted = await deps.intake.accept(order);
      deps.metrics.ordersAccepted.inc({ result: accepted.duplicate ? "duplicate" : "accepted" });
      if (!accepted.duplicate) deps.logger.debug({ orderId: order.orderId, productId: order.productId, tenure: order.tenure, renews: order.renews?.subscriptionId }, "order accepted");
      // A replay answers with the order as it was accepted: the first response, as the IETF draft and Stripe do.
      return create(SubmitOrderResponseSchema, { order: toOrderMessage(accepted.duplicate ? asAccepted(accepted.order) : accepted.order), isDuplicate: accepted.duplicate });
    } catch (err) {
      if (err instanceof OrderRejected) {
        deps.metrics.ordersAccepted.inc({ result: err.reason });
        throw toConnectError(err);
      }
      if (err instanceof CatalogueNotLoaded) throw new ConnectError("the catalogue is not loaded yet; retry shortly", Code.Unavailable);
      throw err;
    }
  };

  /** One order of a batch, in its own trace; an unexpected error stays the batch's (UNAVAILABLE, INTERNAL). */
  const submitInBatch = (req: SubmitOrderRequest): Promise<SubmitOrderResult> =>
    withItemTrace(req.traceContext, "SubmitOrders item", { kind: SpanKind.INTERNAL, attributes: { "t2m.order_id": req.orderId } }, async () => {
      try {
        return create(SubmitOrderResultSchema, { result: { case: "accepted", value: await submitOrder(req) } });
      } catch (err) {
        if (err instanceof ConnectError && err.code !== Code.Internal && err.code !== Code.Unavailable) {
          return create(SubmitOrderResultSchema, { result: { case: "error", value: errorStatusOf(err) } });
        }
        throw err;
      }
    });

  return (router: ConnectRouter) =>
    router.service(FulfilmentService, {
      submitOrder,
      submitOrders: async (req) => {
        if (req.orders.length > 1_000) throw invalidArgument([{ field: "orders", description: "at most 1000 orders per call" }]);
        return { results: await Promise.all(req.orders.map(submitInBatch)) };
      },
      getOrder: async (req) => {
        if (req.partnerId) checkPartner(req.partnerId);
        // A partner's id follows the order id rule; anything else (a NUL byte, say) cannot name an order and is not looked up.
        const valid = req.partnerId ? fieldProblem(OrderFieldRules.orderId, req.orderId) === undefined : req.orderId !== "" && !req.orderId.includes("\u0000");
        const order = valid ? await deps.store.read(req.partnerId ? platformOrderId(req.partnerId, req.orderId) : req.orderId) : undefined;
        // Another partner's order is not found, exactly as a missing one.
        if (!order || (req.partnerId && order.partnerId !== req.partnerId)) throw reasonedError(Code.NotFound, "ORDER_NOT_FOUND", `no order with id "${req.orderId}"`);
        return { order: toOrderMessage(order) };
      },
      retryOrder: async (req) => {
        const order = req.orderId && !req.orderId.includes("\u0000") ? await deps.store.read(req.orderId) : undefined;
        if (!order) throw reasonedError(Code.NotFound, "ORDER_NOT_FOUND", `no order with id "${req.orderId}"`);
        const plan = planOperatorRetry(order);
        if (plan.action === "refuse") throw reasonedError(Code.FailedPrecondition, "ORDER_FINISHED", plan.reason);
        const { duplicate } = await deps.redrive(order.orderId, plan.attempt, new Date());
        deps.logger.warn({ orderId: order.orderId, status: order.status, attempt: plan.attempt, duplicate }, "order re-driven by an operator");
        return { order: toOrderMessage(order), attempt: plan.attempt, duplicate };
      },
      listOrders: async (req) => {
        checkPartner(req.partnerId);
        try {
          const { orders, nextCursor } = await listOrders(
            {
              partnerId: req.partnerId,
              status: STATUS_FROM_PROTO[req.status],
              since: req.updatedSince ? timestampDate(req.updatedSince) : undefined,
              cursor: req.cursor || undefined,
              limit: req.limit,
            },
            (partnerId, day, status) => deps.store.changedOn(partnerId, day, status),
            new Date(),
          );
          return { orders: orders.map(toOrderMessage), nextCursor };
        } catch (err) {
          if (err instanceof ListingRejected) throw invalidArgument([{ field: err.field, description: err.message }]);
          throw err;
        }
      },
    });
}
