import { describe, expect, it } from "vitest";
import { consecutiveCrashes, DEFAULT_RESTART_POLICY, restartDelayMs, restartPolicy } from "./supervisor.js";

describe("the restart policy", () => {
  it("waits 1 s, doubling per crash in a row, up to 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => restartDelayMs(n))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it("starts from 1 s again after a process stayed ready for the stable period", () => {
    const policy = DEFAULT_RESTART_POLICY;
    expect(consecutiveCrashes(0, 10, policy)).toBe(1);
    expect(consecutiveCrashes(4, 10, policy)).toBe(5);
    expect(consecutiveCrashes(4, undefined, policy)).toBe(5);
    expect(consecutiveCrashes(4, policy.stableAfterMs, policy)).toBe(1);
  });

  it("is off unless asked for, and takes partial settings", () => {
    expect(restartPolicy(undefined)).toBeUndefined();
    expect(restartPolicy(false)).toBeUndefined();
    expect(restartPolicy(true)).toEqual(DEFAULT_RESTART_POLICY);
    expect(restartPolicy({ initialDelayMs: 100, maxDelayMs: 400 })).toEqual({ ...DEFAULT_RESTART_POLICY, initialDelayMs: 100, maxDelayMs: 400 });
    expect(restartDelayMs(5, restartPolicy({ initialDelayMs: 100, maxDelayMs: 400 }))).toBe(400);
    expect(() => restartPolicy({ initialDelayMs: 500, maxDelayMs: 100 })).toThrow(/invalid restart policy/);
  });
});
