import type { Client } from "@connectrpc/connect";
import { Code, ConnectError, reasonOf } from "@t2m/platform";
import type { SubscriptionService } from "@t2m/proto/provisioning/v1/provisioning";
import { OrderRejected, type OrderRecord } from "../domain/order.js";

/** Intake's one check of a renewal order, before it is stored. */
export interface RenewalCheck {
  /** The renewed subscription's id; OrderRejected when it cannot be renewed. */
  prepare(order: OrderRecord): Promise<string>;
}

/**
 * SubscriptionService.PrepareRenewal (provisioning owns subscriptions): one
 * RPC per renewal order, none for other orders. Its refusals become
 * rejections T2Mobile sees as 422 problems; anything else (provisioning
 * unreachable) fails the submission as retryable.
 */
export function subscriptionRenewalCheck(subscriptions: Pick<Client<typeof SubscriptionService>, "prepareRenewal">): RenewalCheck {
  return {
    prepare: async (order) => {
      const reference = order.renews?.reference ?? "";
      try {
        const { subscription } = await subscriptions.prepareRenewal({
          renewalOrderId: order.orderId,
          reference,
          productId: order.productId,
          customerId: order.customer.customerId,
          // A partner renews only its own subscriptions, named by its own ids.
          partnerId: order.partnerId,
        });
        if (!subscription?.orderId) throw new ConnectError("provisioning returned no subscription", Code.Internal);
        return subscription.orderId;
      } catch (err) {
        if (!(err instanceof ConnectError)) throw err;
        const reason = reasonOf(err);
        if (err.code === Code.NotFound) throw new OrderRejected("RENEWED_SUBSCRIPTION_NOT_FOUND", `no subscription "${reference}" to renew`);
        if (reason === "SUBSCRIPTION_REVOKED") throw new OrderRejected("SUBSCRIPTION_REVOKED", `subscription "${reference}" was revoked; it cannot be renewed`);
        if (reason === "RENEWAL_MISMATCH") throw new OrderRejected("RENEWAL_MISMATCH", err.rawMessage);
        if (err.code === Code.InvalidArgument) throw new OrderRejected("INVALID_ORDER", err.rawMessage);
        // Not the order's fault: the caller retries with the same key.
        throw new ConnectError("could not check the renewed subscription; retry shortly", Code.Unavailable);
      }
    },
  };
}
