import type { Client } from "@connectrpc/connect";
import { Code, ConnectError } from "@t2m/platform";
import { OrderStatus, type FulfilmentService } from "@t2m/proto/fulfilment/v1/fulfilment";
import { DEFAULT_PARTNER_ID } from "@t2m/topology";
import type { StoredOrder } from "../domain/forgery.js";

export interface OrderLookup {
  /** The stored order; undefined when fulfilment has none with this id. Throws when fulfilment cannot be asked. */
  get(orderId: string): Promise<StoredOrder | undefined>;
}

const STATUS: Record<number, StoredOrder["status"]> = {
  [OrderStatus.PENDING]: "PENDING",
  [OrderStatus.PROCESSING]: "PROCESSING",
  [OrderStatus.FULFILLED]: "FULFILLED",
  [OrderStatus.FAILED]: "FAILED",
};

/** FulfilmentService.GetOrder: notification does not own the orders collection. */
export function fulfilmentOrders(client: Client<typeof FulfilmentService>): OrderLookup {
  return {
    get: async (orderId) => {
      try {
        const { order } = await client.getOrder({ orderId });
        if (!order) return undefined;
        return {
          orderId: order.orderId,
          partnerId: order.partnerId || DEFAULT_PARTNER_ID,
          partnerOrderId: order.partnerOrderId || order.orderId,
          status: STATUS[order.status] ?? "UNKNOWN",
          productId: order.productId,
          tenure: order.tenure,
          customerId: order.customer?.customerId ?? "",
          zohoSalesOrderId: order.zohoSalesOrderId,
          activationReference: order.activationReference,
          failureCode: order.failureCode,
          renewsSubscriptionId: order.renewsSubscriptionId,
        };
      } catch (err) {
        if (err instanceof ConnectError && err.code === Code.NotFound) return undefined;
        throw err;
      }
    },
  };
}
