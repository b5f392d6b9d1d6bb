import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { SubscriptionSchema, SubscriptionStatus, type Subscription } from "@t2m/proto/provisioning/v1/provisioning";
import type { SubscriptionRecord } from "../domain/subscription.js";

export function toSubscriptionMessage(s: SubscriptionRecord): Subscription {
  return create(SubscriptionSchema, {
    orderId: s.orderId,
    productId: s.productId,
    tenure: s.tenure,
    customerId: s.customerId,
    zohoSalesOrderId: s.zohoSalesOrderId,
    activationReference: s.activationReference,
    status: s.status === "ACTIVE" ? SubscriptionStatus.ACTIVE : SubscriptionStatus.EXPIRED,
    startDate: timestampFromDate(s.startDate),
    expiryDate: timestampFromDate(s.expiryDate),
  });
}
