import type { ConnectRouter } from "@connectrpc/connect";
import { Code, ConnectError, invalidArgument, reasonedError, type Logger } from "@t2m/platform";
import { FulfilmentService, type SubmitOrderRequest } from "@t2m/proto/fulfilment/v1/fulfilment";
import { prepareOrder } from "./domain/accept-order.js";
import type { OfferLookup } from "./domain/offers.js";
import { OrderRejected, type RejectionReason } from "./domain/order.js";
import type { OrderSubmission } from "./domain/submission.js";
import { CatalogueNotLoaded } from "./adapters/catalogue-offers.js";
import type { OrderIntake } from "./adapters/intake.js";
import type { OrderStore } from "./adapters/order-store.js";
import { toOrderMessage } from "./adapters/order-view.js";
import type { FulfilmentMetrics } from "./metrics.js";

const REJECTION_CODES: Record<RejectionReason, Code> = {
  INVALID_ORDER: Code.InvalidArgument,
  PRODUCT_NOT_FOUND: Code.FailedPrecondition,
  TENURE_NOT_OFFERED: Code.FailedPrecondition,
  IDEMPOTENCY_KEY_REUSED: Code.FailedPrecondition,
  ORDER_ID_TAKEN: Code.AlreadyExists,
};

function toConnectError(err: OrderRejected): ConnectError {
  if (err.reason === "INVALID_ORDER") return invalidArgument(err.violations, err.message);
  return reasonedError(REJECTION_CODES[err.reason], err.reason, err.message);
}

export function submissionOf(req: SubmitOrderRequest): OrderSubmission {
  return {
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
  };
}

export interface RouteDependencies {
  readonly intake: Pick<OrderIntake, "accept">;
  readonly store: Pick<OrderStore, "findById">;
  readonly offers: { find(productId: string, tenure: string): OfferLookup };
  readonly metrics: FulfilmentMetrics;
  readonly logger: Logger;
}

/** FulfilmentService: accepting orders (validated, priced from memory, group-committed) and reading them. */
export function fulfilmentRoutes(deps: RouteDependencies) {
  return (router: ConnectRouter) =>
    router.service(FulfilmentService, {
      submitOrder: async (req) => {
        try {
          const order = prepareOrder(submissionOf(req), (p, t) => deps.offers.find(p, t), new Date());
          const accepted = await deps.intake.accept(order);
          deps.metrics.ordersAccepted.inc({ result: accepted.duplicate ? "duplicate" : "accepted" });
          if (!accepted.duplicate) deps.logger.debug({ orderId: order.orderId, productId: order.productId, tenure: order.tenure }, "order accepted");
          return { order: toOrderMessage(accepted.order), isDuplicate: accepted.duplicate };
        } catch (err) {
          if (err instanceof OrderRejected) {
            deps.metrics.ordersAccepted.inc({ result: err.reason });
            throw toConnectError(err);
          }
          if (err instanceof CatalogueNotLoaded) throw new ConnectError("the catalogue is not loaded yet; retry shortly", Code.Unavailable);
          throw err;
        }
      },
      getOrder: async (req) => {
        const order = req.orderId ? await deps.store.findById(req.orderId) : undefined;
        if (!order) throw reasonedError(Code.NotFound, "ORDER_NOT_FOUND", `no order with id "${req.orderId}"`);
        return { order: toOrderMessage(order) };
      },
    });
}
