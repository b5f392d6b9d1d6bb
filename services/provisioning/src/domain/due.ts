import { addDays, daysBetween, daysFrom } from "./calendar.js";
import type { SubscriptionRecord } from "./subscription.js";

/**
 * Which expiry days (Africa/Lagos) a job run reads, and what it does with
 * what it finds. Each day is one equality query on `expiryDay`, so a run
 * costs what is due, not what is stored. A run normally reads only the days
 * its schedule makes due today; after runs were missed (the last success
 * was days ago) it also reads the days those runs would have read, at most
 * `catchUpDays` back.
 */
export const DEFAULT_THRESHOLDS_DAYS: readonly number[] = [7, 3, 1];

/** "7,3,1" → [7, 3, 1]: distinct whole days from 1 to 365, largest first. */
export function parseThresholds(raw: string): number[] {
  const parts = raw.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) throw new Error("at least one threshold is needed");
  const days = parts.map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1 || n > 365) throw new Error(`${JSON.stringify(p)} is not a number of days from 1 to 365`);
    return n;
  });
  return [...new Set(days)].sort((a, b) => b - a);
}

/**
 * The first day whose work a run still owes: the day after the last
 * successful run's day (its clock's), but never more than `catchUpDays`
 * back, and today when there was no earlier success, or it was today or
 * later (a clock moved back, or a second run today).
 */
function owedFrom(today: string, lastSuccessDay: string | undefined, catchUpDays: number): string {
  if (lastSuccessDay === undefined || daysBetween(lastSuccessDay, today) <= 0) return today;
  const from = addDays(lastSuccessDay, 1);
  const earliest = addDays(today, -catchUpDays);
  return daysBetween(earliest, from) < 0 ? earliest : from;
}

/**
 * The expiry days the expiry-reminders job reads: for each threshold t, the
 * days whose t-day mark falls on a day owed (today, and the missed days
 * before it), i.e. owed + t … today + t.
 */
export function reminderDays(today: string, lastSuccessDay: string | undefined, thresholds: readonly number[], catchUpDays: number): string[] {
  const from = owedFrom(today, lastSuccessDay, catchUpDays);
  const days = new Set<string>();
  for (const t of thresholds) for (const day of daysFrom(addDays(from, t), addDays(today, t))) days.add(day);
  return [...days].sort();
}

export interface DueReminder {
  readonly thresholdDays: number;
  readonly daysUntilExpiry: number;
}

/**
 * The reminder an ACTIVE subscription is due on `today`: the smallest
 * threshold at or above its days to expiry (a reminder made late by missed
 * runs says how many days are really left, and a stale larger one is not
 * sent once a smaller threshold applies). None on its last day or after.
 */
export function dueReminder(subscription: Pick<SubscriptionRecord, "status" | "expiryDay" | "expiryDate">, today: string, now: Date, thresholds: readonly number[]): DueReminder | undefined {
  if (subscription.status !== "ACTIVE" || subscription.expiryDate.getTime() <= now.getTime()) return undefined;
  const daysUntilExpiry = daysBetween(today, subscription.expiryDay);
  if (daysUntilExpiry < 1) return undefined;
  const applicable = thresholds.filter((t) => t >= daysUntilExpiry);
  if (applicable.length === 0) return undefined;
  return { thresholdDays: Math.min(...applicable), daysUntilExpiry };
}

/**
 * The expiry days the renewal-check job reads: from the last successful
 * run's day (its subscriptions that ended after that run) to today, at
 * least yesterday and today, at most `catchUpDays` back.
 */
export function expiryCheckDays(today: string, lastSuccessDay: string | undefined, catchUpDays: number): string[] {
  const owed = owedFrom(today, lastSuccessDay, catchUpDays);
  const from = daysBetween(owed, addDays(today, -1)) < 0 ? addDays(today, -1) : addDays(owed, -1);
  return daysFrom(from, today);
}

/** Whether an ACTIVE subscription's period has ended by `now` (the renewal-check job expires it). */
export const pastEnd = (subscription: Pick<SubscriptionRecord, "status" | "expiryDate">, now: Date): boolean =>
  subscription.status === "ACTIVE" && subscription.expiryDate.getTime() <= now.getTime();
