import { describe, expect, it } from "vitest";
import { addMonths } from "./subscription.js";

describe("addMonths", () => {
  it("adds calendar months keeping the time of day", () => {
    expect(addMonths(new Date("2026-11-27T10:15:00Z"), 12).toISOString()).toBe("2027-11-27T10:15:00.000Z");
    expect(addMonths(new Date("2026-11-27T10:15:00Z"), 1).toISOString()).toBe("2026-12-27T10:15:00.000Z");
    expect(addMonths(new Date("2026-11-27T10:15:00Z"), 24).toISOString()).toBe("2028-11-27T10:15:00.000Z");
  });

  it("clamps to the end of a shorter month", () => {
    expect(addMonths(new Date("2027-01-31T00:00:00Z"), 1).toISOString()).toBe("2027-02-28T00:00:00.000Z");
    expect(addMonths(new Date("2028-01-31T00:00:00Z"), 1).toISOString()).toBe("2028-02-29T00:00:00.000Z");
    expect(addMonths(new Date("2028-02-29T00:00:00Z"), 12).toISOString()).toBe("2029-02-28T00:00:00.000Z");
  });
});
