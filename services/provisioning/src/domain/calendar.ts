/**
 * Calendar days in the platform's business time zone (Africa/Lagos: UTC+1,
 * no daylight saving). Schedules run there, and a subscription's period end
 * is filed under its Lagos day (`expiryDay`), the bucket the jobs query by
 * equality. Days are ISO dates ("2026-12-09"), which sort and compare as
 * strings.
 */
export const BUSINESS_TIME_ZONE = "Africa/Lagos";

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar day of `date` in `timeZone`, as YYYY-MM-DD. */
export function dayOf(date: Date, timeZone = BUSINESS_TIME_ZONE): string {
  let format = formatters.get(timeZone);
  if (!format) {
    // en-CA formats dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    formatters.set(timeZone, format);
  }
  return format.format(date);
}

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

function dayNumber(day: string): number {
  const match = DAY_PATTERN.exec(day);
  if (!match) throw new Error(`not a calendar day: ${JSON.stringify(day)}`);
  return Math.round(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / 86_400_000);
}

/** `day` plus `days` calendar days (negative goes back). */
export function addDays(day: string, days: number): string {
  return new Date((dayNumber(day) + days) * 86_400_000).toISOString().slice(0, 10);
}

/** Calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}

/** Every day from `from` to `to`, both included; empty when `to` is earlier. */
export function daysFrom(from: string, to: string): string[] {
  const count = daysBetween(from, to);
  return Array.from({ length: Math.max(0, count + 1) }, (_, i) => addDays(from, i));
}
