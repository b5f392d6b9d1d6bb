import { describe, expect, it } from "vitest";
import { DueTimers } from "./timers.js";

describe("DueTimers", () => {
  it("fires each message once at its due time, keeping the earlier of two due times", async () => {
    const fired: string[] = [];
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const timers = new DueTimers(async (id) => {
      fired.push(id);
      if (fired.length === 2) resolve();
    });
    timers.at("b", new Date(Date.now() + 30));
    timers.at("a", new Date(Date.now() + 5_000));
    timers.at("a", new Date(Date.now() + 10));
    timers.at("b", new Date(Date.now() + 60_000));
    expect(timers.size).toBe(2);
    await done;
    expect(fired.sort()).toEqual(["a", "b"]);
    expect(timers.size).toBe(0);
    timers.stop();
  });

  it("schedules nothing once stopped", () => {
    const timers = new DueTimers(async () => undefined);
    timers.at("a", new Date(Date.now() + 60_000));
    timers.stop();
    timers.at("b", new Date());
    expect(timers.size).toBe(0);
  });
});
