import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { repeatEvery } from "./repeat.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("repeatEvery", () => {
  it("runs at once, then an interval after each run ends, and keeps going after a failure", async () => {
    const warnings: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => warnings.push(JSON.parse(line).msg) });
    let runs = 0;
    const repeating = repeatEvery(
      async () => {
        runs += 1;
        if (runs === 2) throw new Error("store down");
      },
      { intervalMs: 1_000, logger, failure: "could not refresh" },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(3);
    expect(warnings).toEqual(["could not refresh"]);
    await repeating.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toBe(3);
  });

  it("never overlaps a slow run, and waits firstDelayMs before the first", async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const repeating = repeatEvery(
      async () => {
        runs += 1;
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        running -= 1;
      },
      { intervalMs: 100, firstDelayMs: 500, logger: pino({ level: "silent" }), failure: "x" },
    );
    await vi.advanceTimersByTimeAsync(499);
    expect(runs).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(most).toBe(1);
    const stopping = repeating.stop();
    await vi.advanceTimersByTimeAsync(2_500);
    await stopping;
  });

  it("stop() waits for the run under way, and no run follows it", async () => {
    let finished = 0;
    let runs = 0;
    const repeating = repeatEvery(
      async () => {
        runs += 1;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        finished += 1;
      },
      { intervalMs: 100, logger: pino({ level: "silent" }), failure: "x" },
    );
    await vi.advanceTimersByTimeAsync(10);
    let stopped = false;
    const stopping = repeating.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(500);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(500);
    await stopping;
    expect(finished).toBe(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toBe(1);
  });
});
