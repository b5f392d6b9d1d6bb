import { describe, expect, it } from "vitest";
import { exitCodeOf, parseJobClock } from "./jobs.js";

describe("parseJobClock", () => {
  it("reads --now, --now=, and JOB_NOW, --now winning, and leaves other arguments", () => {
    expect(parseJobClock(["--now", "2026-11-27T10:00:00Z", "x"], {})).toEqual({ now: new Date("2026-11-27T10:00:00Z"), args: ["x"] });
    expect(parseJobClock(["--now=2026-11-27T10:00:00+01:00"], {}).now).toEqual(new Date("2026-11-27T09:00:00Z"));
    expect(parseJobClock([], { JOB_NOW: "2026-01-01T00:00:00Z" }).now).toEqual(new Date("2026-01-01T00:00:00Z"));
    expect(parseJobClock(["--now", "2026-11-27T10:00:00Z"], { JOB_NOW: "2026-01-01T00:00:00Z" }).now).toEqual(new Date("2026-11-27T10:00:00Z"));
    expect(parseJobClock(["a"], {})).toEqual({ now: undefined, args: ["a"] });
  });

  it("refuses a time that is not ISO 8601, and a --now without one", () => {
    expect(() => parseJobClock(["--now", "tomorrow"], {})).toThrow(/ISO 8601/);
    expect(() => parseJobClock(["--now", "2026-13-45T99:00:00Z"], {})).toThrow(/ISO 8601/);
    expect(() => parseJobClock(["--now"], {})).toThrow(/needs an ISO 8601 time/);
  });
});

describe("exitCodeOf", () => {
  it("is 0 when the work is done, 1 when it failed, 143 when SIGTERM stopped it", () => {
    expect([exitCodeOf("succeeded"), exitCodeOf("failed"), exitCodeOf("aborted")]).toEqual([0, 1, 143]);
  });
});
