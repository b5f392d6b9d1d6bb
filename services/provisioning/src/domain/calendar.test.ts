import { describe, expect, it } from "vitest";
import { addDays, dayOf, daysBetween, daysFrom } from "./calendar.js";

describe("Africa/Lagos calendar days", () => {
  it("files a time under its Lagos day (UTC+1, no daylight saving)", () => {
    expect(dayOf(new Date("2026-12-08T22:59:59Z"))).toBe("2026-12-08");
    expect(dayOf(new Date("2026-12-08T23:00:00Z"))).toBe("2026-12-09");
    // Mid-year too: Lagos never moves its clocks.
    expect(dayOf(new Date("2026-06-30T23:00:00Z"))).toBe("2026-07-01");
    expect(dayOf(new Date("2026-06-30T22:59:00Z"))).toBe("2026-06-30");
  });

  it("adds and counts days across months, years and leap days", () => {
    expect(addDays("2026-12-30", 3)).toBe("2027-01-02");
    expect(addDays("2028-03-01", -1)).toBe("2028-02-29");
    expect(daysBetween("2026-12-02", "2026-12-09")).toBe(7);
    expect(daysBetween("2026-12-09", "2026-12-02")).toBe(-7);
    expect(daysFrom("2026-12-30", "2027-01-01")).toEqual(["2026-12-30", "2026-12-31", "2027-01-01"]);
    expect(daysFrom("2027-01-01", "2026-12-30")).toEqual([]);
  });

  it("refuses what is not a day", () => {
    expect(() => addDays("9 Dec", 1)).toThrow(/not a calendar day/);
  });
});
