// The expiry-reminders job (CronJob, 0 2 * * * Africa/Lagos): an
// EXPIRY_REMINDER for each ACTIVE subscription whose period ends in 7, 3 or
// 1 days (EXPIRY_REMINDER_DAYS). Exactly once per subscription, period end
// and threshold, even when runs repeat, overlap, or die half-way: the
// reminder is claimed by a unique insert before its event is published
// (with a deterministic message id), and marked once published; a claim
// found unmarked is published again (the stream, then notification's
// webhook ids, drop the repeat). Each expiry day it reads is one equality
// query, so the run costs what is due, not what is stored.
import { natsCredentials, runJobMain, type JobContext, type JobResult, type Logger } from "@t2m/platform";
import { Jobs, SubscriptionsStream } from "@t2m/topology";
import type { SubscriptionAnnouncer } from "../adapters/subscription-events.js";
import { reminderId, type MongoReminderStore, type MongoSubscriptionStore, type ReminderRecord } from "../adapters/subscription-store.js";
import { loadProvisioningConfig, type ProvisioningConfig } from "../config.js";
import { dayOf } from "../domain/calendar.js";
import { dueReminder, reminderDays } from "../domain/due.js";
import type { SubscriptionRecord } from "../domain/subscription.js";
import { eachLimited, jobWiring, lastSuccessDay, type Price } from "./support.js";

export interface ExpiryRemindersDeps {
  readonly store: Pick<MongoSubscriptionStore, "byExpiryDay">;
  readonly reminders: Pick<MongoReminderStore, "claim" | "markPublished">;
  readonly announcer: Pick<SubscriptionAnnouncer, "remind">;
  /** The renewal price of a product's tenure; undefined when no longer offered. */
  readonly prices: (productId: string, tenure: string) => Promise<Price | undefined>;
  readonly thresholds: readonly number[];
  readonly catchUpDays: number;
  readonly concurrency: number;
  /** The Lagos day of the last successful run's clock. */
  readonly lastSuccessDay: string | undefined;
}

/** One run; exported for tests and the bench, which run it in-process. */
export async function expiryReminders(ctx: Pick<JobContext, "now" | "clock" | "signal" | "logger">, deps: ExpiryRemindersDeps): Promise<JobResult> {
  const now = ctx.now;
  const today = dayOf(now);
  const days = reminderDays(today, deps.lastSuccessDay, deps.thresholds, deps.catchUpDays);
  const counts = { days: days.length, candidates: 0, sent: 0, resumed: 0, alreadySent: 0, notDue: 0, withoutPrice: 0, errors: 0 };
  const candidates: SubscriptionRecord[] = [];
  for (const day of days) {
    if (ctx.signal.aborted) break;
    candidates.push(...(await deps.store.byExpiryDay(day, "ACTIVE")));
  }
  counts.candidates = candidates.length;
  await eachLimited(candidates, deps.concurrency, ctx.signal, async (subscription) => {
    try {
      const outcome = await remind(subscription, today, now, deps, ctx.logger);
      counts[outcome] += 1;
    } catch (err) {
      counts.errors += 1;
      ctx.logger.error({ err, subscriptionId: subscription.orderId }, "could not send an expiry reminder; the next run tries again");
    }
  });
  ctx.logger.info({ today, expiryDays: days, ...counts }, "expiry reminders done");
  return { processed: counts.sent + counts.resumed, failed: counts.errors, counts };
}

async function remind(subscription: SubscriptionRecord, today: string, now: Date, deps: ExpiryRemindersDeps, logger: Logger): Promise<"sent" | "resumed" | "alreadySent" | "notDue"> {
  const due = dueReminder(subscription, today, now, deps.thresholds);
  if (!due) return "notDue";
  const amount = await deps.prices(subscription.productId, subscription.tenure);
  if (!amount) logger.warn({ subscriptionId: subscription.orderId, productId: subscription.productId, tenure: subscription.tenure }, "the catalogue no longer offers this tenure: reminder sent without an amount");
  const record: ReminderRecord = {
    id: reminderId(subscription.orderId, subscription.expiryDay, due.thresholdDays),
    subscriptionId: subscription.orderId,
    expiryDay: subscription.expiryDay,
    thresholdDays: due.thresholdDays,
    daysUntilExpiry: due.daysUntilExpiry,
    version: subscription.version,
    activationReference: subscription.activationReference,
    productId: subscription.productId,
    tenure: subscription.tenure,
    customerId: subscription.customerId,
    customerEmail: subscription.customerEmail,
    expiryDate: subscription.expiryDate,
    ...(amount ? { amount } : {}),
    remindedAt: now,
    createdAt: new Date(),
  };
  const claim = await deps.reminders.claim(record);
  // Claimed before (by an overlapping run, or one that died before publishing): publish what it claimed, unless marked.
  const toPublish = claim.claimed ? record : claim.existing;
  if (!claim.claimed && claim.existing.publishedAt) return "alreadySent";
  await deps.announcer.remind(toPublish);
  await deps.reminders.markPublished(toPublish.id, new Date());
  return claim.claimed ? "sent" : "resumed";
}

export async function runExpiryReminders(ctx: JobContext, config: ProvisioningConfig): Promise<JobResult> {
  const wiring = await jobWiring(ctx, config);
  return expiryReminders(ctx, {
    store: wiring.store,
    reminders: wiring.reminders,
    announcer: wiring.announcer,
    prices: wiring.prices,
    thresholds: config.EXPIRY_REMINDER_DAYS,
    catchUpDays: config.SUBSCRIPTION_JOB_CATCH_UP_DAYS,
    concurrency: config.SUBSCRIPTION_JOB_CONCURRENCY,
    lastSuccessDay: await lastSuccessDay(ctx),
  });
}

// Run as a process (not when imported by a test or the bench).
if (import.meta.url === `file://${process.argv[1]}`) {
  const config = loadProvisioningConfig();
  runJobMain({
    name: Jobs.expiryReminders.name,
    mongodbUrl: config.MONGODB_URL,
    logLevel: config.LOG_LEVEL,
    nats: { url: config.NATS_URL, credentials: natsCredentials(config), streams: [SubscriptionsStream] },
    run: (ctx) => runExpiryReminders(ctx, config),
  });
}
