import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { SubscriptionChangeKind, SubscriptionSchema, SubscriptionStatus, type Subscription } from "@t2m/proto/provisioning/v1/provisioning";
import type { ChangeKind, SubscriptionChange, SubscriptionRecord, SubscriptionStatus as Status } from "../domain/subscription.js";

const STATUS: Record<Status, SubscriptionStatus> = {
  ACTIVE: SubscriptionStatus.ACTIVE,
  EXPIRED: SubscriptionStatus.EXPIRED,
  REVOKED: SubscriptionStatus.REVOKED,
};

const KIND: Record<ChangeKind, SubscriptionChangeKind> = {
  ACTIVATED: SubscriptionChangeKind.ACTIVATED,
  RENEWED: SubscriptionChangeKind.RENEWED,
  EXPIRED: SubscriptionChangeKind.EXPIRED,
  REVOKED: SubscriptionChangeKind.REVOKED,
};

const ts = (date: Date | undefined) => (date ? timestampFromDate(date) : undefined);

export function toSubscriptionMessage(s: SubscriptionRecord, history: readonly SubscriptionChange[] = []): Subscription {
  return create(SubscriptionSchema, {
    orderId: s.orderId,
    productId: s.productId,
    tenure: s.tenure,
    tenureMonths: s.tenureMonths,
    customerId: s.customerId,
    customerEmail: s.customerEmail,
    zohoSalesOrderId: s.zohoSalesOrderId,
    activationReference: s.activationReference,
    status: STATUS[s.status],
    startDate: ts(s.startDate),
    expiryDate: ts(s.expiryDate),
    version: s.version,
    renewals: s.renewals,
    revokedAt: ts(s.revokedAt),
    revocationReason: s.revocationReason ?? "",
    createdAt: ts(s.createdAt),
    updatedAt: ts(s.updatedAt),
    history: history.map((c) => ({
      version: c.version,
      kind: KIND[c.kind],
      status: STATUS[c.state.status],
      periodStart: ts(c.state.startDate),
      periodEnd: ts(c.state.expiryDate),
      orderId: c.orderId ?? "",
      changedAt: ts(c.at),
      reason: c.reason ?? "",
      tenure: c.state.tenure,
    })),
  });
}
