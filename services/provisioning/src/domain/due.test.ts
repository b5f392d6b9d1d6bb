import { describe, expect, it } from "vitest";
import { dueReminder, expiryCheckDays, parseThresholds, pastEnd, reminderDays } from "./due.js";

describe("thresholds", () => {
  it("parses, de-duplicates and sorts them, largest first", () => {
    expect(parseThresholds("7,3,1")).toEqual([7, 3, 1]);
    expect(parseThresholds("1 3, 7,3")).toEqual([7, 3, 1]);
    expect(() => parseThresholds("7,0")).toThrow(/from 1 to 365/);
    expect(() => parseThresholds("seven")).toThrow();
    expect(() => parseThresholds("")).toThrow();
  });
});

const expiry = { status: "ACTIVE" as const, expiryDay: "2027-12-09", expiryDate: new Date("2027-12-09T09:00:00Z") };
const morning = (day: string) => new Date(`${day}T01:00:00Z`);

describe("expiry reminders", () => {
  it("reads one expiry day per threshold on a normal day", () => {
    expect(reminderDays("2027-12-02", "2027-12-01", [7, 3, 1], 7)).toEqual(["2027-12-03", "2027-12-05", "2027-12-09"]);
    // The first run ever, and a second run the same day, read the same.
    expect(reminderDays("2027-12-02", undefined, [7, 3, 1], 7)).toEqual(["2027-12-03", "2027-12-05", "2027-12-09"]);
    expect(reminderDays("2027-12-02", "2027-12-02", [7, 3, 1], 7)).toEqual(["2027-12-03", "2027-12-05", "2027-12-09"]);
    // A clock set back (an operator's --now) does not widen the run.
    expect(reminderDays("2027-12-02", "2028-01-01", [7, 3, 1], 7)).toEqual(["2027-12-03", "2027-12-05", "2027-12-09"]);
  });

  it("also reads the days missed runs owe, at most catchUpDays back", () => {
    // Last success two days ago: yesterday's run was missed.
    expect(reminderDays("2027-12-02", "2027-11-30", [7, 3, 1], 7)).toEqual(["2027-12-02", "2027-12-03", "2027-12-04", "2027-12-05", "2027-12-08", "2027-12-09"]);
    expect(reminderDays("2027-12-20", "2027-01-01", [1], 2)).toEqual(["2027-12-19", "2027-12-20", "2027-12-21"]);
  });

  it("is due at exactly 7, 3 and 1 days, and not at 8 or on the last day", () => {
    const at = (day: string) => dueReminder(expiry, day, morning(day), [7, 3, 1]);
    expect(at("2027-12-01")).toBeUndefined();
    expect(at("2027-12-02")).toEqual({ thresholdDays: 7, daysUntilExpiry: 7 });
    expect(at("2027-12-06")).toEqual({ thresholdDays: 3, daysUntilExpiry: 3 });
    expect(at("2027-12-08")).toEqual({ thresholdDays: 1, daysUntilExpiry: 1 });
    expect(at("2027-12-09")).toBeUndefined();
  });

  it("sends a missed reminder late with the days really left, and only the smallest that applies", () => {
    expect(dueReminder(expiry, "2027-12-04", morning("2027-12-04"), [7, 3, 1])).toEqual({ thresholdDays: 7, daysUntilExpiry: 5 });
    expect(dueReminder(expiry, "2027-12-08", morning("2027-12-08"), [7, 3])).toEqual({ thresholdDays: 3, daysUntilExpiry: 1 });
  });

  it("reminds only ACTIVE subscriptions before their end", () => {
    expect(dueReminder({ ...expiry, status: "REVOKED" }, "2027-12-02", morning("2027-12-02"), [7])).toBeUndefined();
    expect(dueReminder(expiry, "2027-12-08", new Date("2027-12-09T10:00:00Z"), [7, 3, 1])).toBeUndefined();
  });
});

describe("the renewal check", () => {
  it("reads yesterday and today, or back to the last success after missed runs", () => {
    expect(expiryCheckDays("2027-12-10", "2027-12-09", 7)).toEqual(["2027-12-09", "2027-12-10"]);
    expect(expiryCheckDays("2027-12-10", undefined, 7)).toEqual(["2027-12-09", "2027-12-10"]);
    expect(expiryCheckDays("2027-12-10", "2027-12-10", 7)).toEqual(["2027-12-09", "2027-12-10"]);
    expect(expiryCheckDays("2027-12-10", "2027-12-07", 7)).toEqual(["2027-12-07", "2027-12-08", "2027-12-09", "2027-12-10"]);
    expect(expiryCheckDays("2027-12-10", "2026-01-01", 2)).toEqual(["2027-12-07", "2027-12-08", "2027-12-09", "2027-12-10"]);
  });

  it("expires an ACTIVE subscription once its end has passed, to the second", () => {
    expect(pastEnd(expiry, new Date("2027-12-09T08:59:59Z"))).toBe(false);
    expect(pastEnd(expiry, new Date("2027-12-09T09:00:00Z"))).toBe(true);
    expect(pastEnd({ ...expiry, status: "EXPIRED" }, new Date("2028-01-01T00:00:00Z"))).toBe(false);
  });
});
