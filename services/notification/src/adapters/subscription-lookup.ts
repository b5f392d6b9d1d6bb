import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { Code, ConnectError } from "@t2m/platform";
import { SubscriptionChangeKind, SubscriptionStatus, type SubscriptionService } from "@t2m/proto/provisioning/v1/provisioning";
import type { StoredChange, StoredSubscription } from "../domain/forgery.js";

export interface SubscriptionLookup {
  /** The stored subscription; undefined when provisioning has none. Throws when provisioning cannot be asked. */
  get(subscriptionId: string): Promise<StoredSubscription | undefined>;
}

const STATUS: Record<number, StoredSubscription["status"]> = {
  [SubscriptionStatus.ACTIVE]: "ACTIVE",
  [SubscriptionStatus.EXPIRED]: "EXPIRED",
  [SubscriptionStatus.REVOKED]: "REVOKED",
};

const KIND: Record<number, StoredChange["kind"]> = {
  [SubscriptionChangeKind.ACTIVATED]: "ACTIVATED",
  [SubscriptionChangeKind.RENEWED]: "RENEWED",
  [SubscriptionChangeKind.EXPIRED]: "EXPIRED",
  [SubscriptionChangeKind.REVOKED]: "REVOKED",
};

const dateOf = (t: Timestamp | undefined) => (t ? timestampDate(t) : undefined);

/** SubscriptionService.LookupSubscription: notification does not own subscriptions. */
export function provisioningSubscriptions(client: Pick<Client<typeof SubscriptionService>, "lookupSubscription">): SubscriptionLookup {
  return {
    get: async (subscriptionId) => {
      try {
        const { subscription } = await client.lookupSubscription({ reference: subscriptionId });
        if (!subscription) return undefined;
        return {
          subscriptionId: subscription.orderId,
          status: STATUS[subscription.status] ?? "UNKNOWN",
          activationReference: subscription.activationReference,
          productId: subscription.productId,
          customerId: subscription.customerId,
          customerEmail: subscription.customerEmail,
          expiryDate: dateOf(subscription.expiryDate),
          history: subscription.history.map((c) => ({
            version: c.version,
            kind: KIND[c.kind] ?? "UNKNOWN",
            orderId: c.orderId,
            periodEnd: dateOf(c.periodEnd),
            tenure: c.tenure,
          })),
        };
      } catch (err) {
        if (err instanceof ConnectError && err.code === Code.NotFound) return undefined;
        throw err;
      }
    },
  };
}
