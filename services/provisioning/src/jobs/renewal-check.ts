// The renewal-check job (CronJob, 0 3 * * * Africa/Lagos): every ACTIVE
// subscription past its period's end with no renewal becomes EXPIRED, with
// a SUBSCRIPTION_EXPIRED webhook. One whose renewal order is not finished
// (accepted, still at work or waiting for Zoho) is reported and left alone.
// Exactly once per subscription and period: the expiry is a change claimed
// by a unique insert (<subscriptionId>#<version>) before its event is
// published, so a repeated, overlapping or rerun job loses the claim and
// finishes, rather than repeats, what the winner started. Each expiry day
// read is one equality query.
import { natsCredentials, runJobMain, type JobContext, type JobResult } from "@t2m/platform";
import { Jobs, SubscriptionsStream } from "@t2m/topology";
import type { MongoSubscriptionStore } from "../adapters/subscription-store.js";
import { loadProvisioningConfig, type ProvisioningConfig } from "../config.js";
import { dayOf } from "../domain/calendar.js";
import { expiryCheckDays, pastEnd } from "../domain/due.js";
import type { SubscriptionRecord } from "../domain/subscription.js";
import type { PendingRenewal, PendingRenewals, Subscriptions } from "../domain/subscriptions.js";
import { eachLimited, jobWiring, lastSuccessDay, type RenewalOrders } from "./support.js";

/** A pending renewal this young whose order fulfilment does not know yet may still be on its way into intake. */
const INTAKE_GRACE_MS = 10 * 60 * 1000;

export interface RenewalCheckDeps {
  readonly store: Pick<MongoSubscriptionStore, "byExpiryDay" | "sweepDay">;
  readonly subscriptions: Pick<Subscriptions, "expireIfDue">;
  readonly pending: PendingRenewals;
  readonly orders: RenewalOrders;
  readonly catchUpDays: number;
  readonly concurrency: number;
  readonly lastSuccessDay: string | undefined;
  /** Real time (pending renewals carry it); defaults to the system clock. */
  readonly realClock?: () => Date;
}

/** One run; exported for tests and the bench, which run it in-process. */
export async function renewalCheck(ctx: Pick<JobContext, "now" | "clock" | "signal" | "logger">, deps: RenewalCheckDeps): Promise<JobResult> {
  const now = ctx.now;
  const today = dayOf(now);
  const days = expiryCheckDays(today, deps.lastSuccessDay, deps.catchUpDays);
  const counts = { days: days.length, candidates: 0, expired: 0, alreadyExpired: 0, changed: 0, notDue: 0, renewalPending: 0, errors: 0, daysSwept: 0 };
  const due: SubscriptionRecord[] = [];
  for (const day of days) {
    if (ctx.signal.aborted) break;
    due.push(...(await deps.store.byExpiryDay(day, "ACTIVE")).filter((s) => pastEnd(s, now)));
  }
  counts.candidates = due.length;
  // Renewal orders not finished, read only when something is due (a small working set).
  const pendingBySubscription = new Map<string, PendingRenewal[]>();
  if (due.length > 0) for (const p of await deps.pending.all()) pendingBySubscription.set(p.subscriptionId, [...(pendingBySubscription.get(p.subscriptionId) ?? []), p]);
  const realNow = () => (deps.realClock ?? (() => new Date()))().getTime();

  const renewalUnfinished = async (subscription: SubscriptionRecord): Promise<string[]> => {
    const unfinished: string[] = [];
    for (const p of pendingBySubscription.get(subscription.orderId) ?? []) {
      const order = await deps.orders.find(p.renewalOrderId);
      const renewsThis = order?.renewsSubscriptionId === subscription.orderId;
      if ((renewsThis && (order.status === "PENDING" || order.status === "PROCESSING")) || (!order && realNow() - p.createdAt.getTime() < INTAKE_GRACE_MS)) {
        unfinished.push(p.renewalOrderId);
      } else {
        // Finished (a fulfilled renewal is in the history; a failed one renews nothing), or never stored.
        await deps.pending.remove(p.renewalOrderId);
      }
    }
    return unfinished;
  };

  await eachLimited(due, deps.concurrency, ctx.signal, async (subscription) => {
    try {
      const unfinished = await renewalUnfinished(subscription);
      if (unfinished.length > 0) {
        counts.renewalPending += 1;
        ctx.logger.warn(
          { subscriptionId: subscription.orderId, activationReference: subscription.activationReference, expiryDate: subscription.expiryDate, renewalOrderIds: unfinished },
          "past its end, but a renewal order is not finished: not expired",
        );
        return;
      }
      const outcome = await deps.subscriptions.expireIfDue(subscription, now);
      counts[outcome === "already-expired" ? "alreadyExpired" : outcome === "not-due" ? "notDue" : outcome] += 1;
      if (outcome === "expired") ctx.logger.info({ subscriptionId: subscription.orderId, expiryDate: subscription.expiryDate }, "subscription expired");
    } catch (err) {
      counts.errors += 1;
      ctx.logger.error({ err, subscriptionId: subscription.orderId }, "could not expire a subscription; the next run tries again");
    }
  });
  // A day that is over holds nothing due any more but what waits for a renewal: the rest of its entries go.
  if (!ctx.signal.aborted) {
    for (const day of days.filter((d) => d < today)) if ((await deps.store.sweepDay(day)).dropped) counts.daysSwept += 1;
  }
  ctx.logger.info({ today, expiryDays: days, ...counts }, "renewal check done");
  return { processed: counts.expired + counts.alreadyExpired, failed: counts.errors, counts };
}

export async function runRenewalCheck(ctx: JobContext, config: ProvisioningConfig): Promise<JobResult> {
  const wiring = await jobWiring(ctx, config);
  return renewalCheck(ctx, {
    store: wiring.store,
    subscriptions: wiring.subscriptions,
    pending: wiring.pending,
    orders: wiring.orders,
    catchUpDays: config.SUBSCRIPTION_JOB_CATCH_UP_DAYS,
    concurrency: config.SUBSCRIPTION_JOB_CONCURRENCY,
    lastSuccessDay: await lastSuccessDay(ctx),
  });
}

// Run as a process (not when imported by a test or the bench).
if (import.meta.url === `file://${process.argv[1]}`) {
  const config = loadProvisioningConfig();
  runJobMain({
    name: Jobs.renewalCheck.name,
    mongodbUrl: config.MONGODB_URL,
    logLevel: config.LOG_LEVEL,
    nats: { url: config.NATS_URL, credentials: natsCredentials(config), streams: [SubscriptionsStream] },
    run: (ctx) => runRenewalCheck(ctx, config),
  });
}
