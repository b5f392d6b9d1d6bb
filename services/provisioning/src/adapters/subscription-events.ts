import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { EventBus } from "@t2m/platform";
import { SubscriptionEvents, SubscriptionMessageIds } from "@t2m/topology";
import type { SubscriptionChange } from "../domain/subscription.js";
import type { ChangeAnnouncer } from "../domain/subscriptions.js";
import type { ReminderRecord } from "./subscription-store.js";

const ts = (date: Date) => timestampFromDate(date);

/**
 * Publishes subscription events on the SUBSCRIPTIONS stream with
 * deterministic message ids (a change by its version, a reminder by its
 * period end and threshold), so a repeat by whoever finishes a change, or a
 * rerun of a job, is one event within the stream's duplicate window, and
 * one webhook after it (notification registers each webhook id once).
 */
export class SubscriptionAnnouncer implements ChangeAnnouncer {
  constructor(private readonly events: Pick<EventBus, "publish">) {}

  async announce(change: SubscriptionChange): Promise<void> {
    const s = change.state;
    const common = {
      subscriptionId: change.subscriptionId,
      activationReference: s.activationReference,
      productId: s.productId,
      tenure: s.tenure,
      customerId: s.customerId,
      version: change.version,
    };
    switch (change.kind) {
      case "RENEWED":
        await this.events.publish(
          SubscriptionEvents.renewed,
          {
            ...common,
            renewalOrderId: change.orderId ?? "",
            zohoSalesOrderId: s.zohoSalesOrderId,
            ...(change.previousExpiryDate ? { previousExpiryDate: ts(change.previousExpiryDate) } : {}),
            periodStart: ts(s.startDate),
            expiryDate: ts(s.expiryDate),
            renewedAt: ts(change.at),
          },
          { messageId: SubscriptionMessageIds.renewed(change.subscriptionId, change.version) },
        );
        return;
      case "REVOKED":
        await this.events.publish(
          SubscriptionEvents.revoked,
          { ...common, reason: change.reason ?? "", expiryDate: ts(s.expiryDate), revokedAt: ts(change.at) },
          { messageId: SubscriptionMessageIds.revoked(change.subscriptionId, change.version) },
        );
        return;
      case "EXPIRED":
        await this.events.publish(
          SubscriptionEvents.expired,
          { ...common, expiryDate: ts(s.expiryDate), expiredAt: ts(change.at) },
          { messageId: SubscriptionMessageIds.expired(change.subscriptionId, change.version) },
        );
        return;
      case "ACTIVATED":
        // The first order's ORDER_FULFILLED (fulfilment's outcome) tells T2Mobile.
        return;
    }
  }

  async remind(reminder: ReminderRecord): Promise<void> {
    await this.events.publish(
      SubscriptionEvents.reminder,
      {
        subscriptionId: reminder.subscriptionId,
        activationReference: reminder.activationReference,
        productId: reminder.productId,
        tenure: reminder.tenure,
        customerId: reminder.customerId,
        version: reminder.version,
        thresholdDays: reminder.thresholdDays,
        daysUntilExpiry: reminder.daysUntilExpiry,
        expiryDate: ts(reminder.expiryDate),
        customerEmail: reminder.customerEmail,
        ...(reminder.amount ? { amount: { currencyCode: reminder.amount.currencyCode, amountMinor: BigInt(reminder.amount.amountMinor) } } : {}),
        remindedAt: ts(reminder.remindedAt),
      },
      { messageId: SubscriptionMessageIds.reminder(reminder.subscriptionId, reminder.expiryDay, reminder.thresholdDays) },
    );
  }
}
