import { describe, expect, it } from "vitest";
import {
  busiestWindow,
  cancel,
  emptyBudget,
  nextSlot,
  pause,
  projectSlots,
  prune,
  rebook,
  release,
  reserve,
  respectsRateLimit,
  type BudgetLimits,
  type BudgetState,
} from "./budget.js";

const limits: BudgetLimits = { callsPerWindow: 3, windowMs: 60_000, marginMs: 1_000, maxConcurrent: 2, leaseMs: 20_000 };

function reserved(state: BudgetState, now: number, id: string, l = limits) {
  const r = reserve(prune(state, now, l), now, l, id);
  if (r.kind !== "reserved") throw new Error(`expected a reservation, got ${JSON.stringify(r)}`);
  return r;
}

describe("nextSlot", () => {
  it("is now while the window has room, then a window and the margin after the call `limit` back", () => {
    expect(nextSlot(emptyBudget, 5_000, limits)).toBe(5_000);
    const state = { ...emptyBudget, grants: [0, 10_000, 20_000] };
    expect(nextSlot(state, 30_000, limits)).toBe(61_000);
    expect(nextSlot({ ...state, grants: [10_000, 20_000] }, 30_000, limits)).toBe(30_000);
  });

  it("never goes before the last grant, so a slot reserved ahead is not overtaken", () => {
    expect(nextSlot({ ...emptyBudget, grants: [40_000] }, 30_000, limits)).toBe(40_000);
  });

  it("waits out a pause", () => {
    expect(nextSlot({ ...emptyBudget, pausedUntil: 45_000 }, 30_000, limits)).toBe(45_000);
    expect(nextSlot({ ...emptyBudget, pausedUntil: 45_000 }, 30_000, { ...limits, callsPerWindow: 0 })).toBe(45_000);
  });

  it("is always now when the rate limit is off and nothing is paused", () => {
    expect(nextSlot({ ...emptyBudget, grants: [1, 2, 3, 4] }, 10, { ...limits, callsPerWindow: 0 })).toBe(10);
  });
});

describe("reserve", () => {
  it("grants the limit at once, then reserves slots a window and the margin later, each with a lease", () => {
    let state = emptyBudget;
    const slots: number[] = [];
    for (const id of ["a", "b", "c", "d"]) {
      const r = reserved(state, 0, id, { ...limits, maxConcurrent: 0 });
      state = r.state;
      slots.push(r.at);
    }
    expect(slots).toEqual([0, 0, 0, 61_000]);
    expect(state.leases).toEqual([]);
  });

  it("leases a call from its slot until leaseMs later, and is busy when every lease is taken", () => {
    let state = reserved(emptyBudget, 0, "a").state;
    state = reserved(state, 0, "b").state;
    expect(state.leases).toEqual([
      { id: "a", expiresAt: 20_000 },
      { id: "b", expiresAt: 20_000 },
    ]);
    expect(reserve(state, 1_000, limits, "c")).toEqual({ kind: "busy", retryAt: 20_000 });
    // A released lease frees its place; the grant still counts in its window.
    const after = reserved(release(state, "a"), 1_000, "c");
    expect(after.at).toBe(1_000);
    expect(after.state.grants).toEqual([0, 0, 1_000]);
    // A lease its holder never released frees itself when it expires.
    expect(reserved(after.state, 20_001, "d").at).toBe(61_000);
  });

  it("leases nothing when the concurrency limit is off", () => {
    const r = reserved(emptyBudget, 0, "a", { ...limits, maxConcurrent: 0 });
    expect(r.state.leases).toEqual([]);
  });
});

describe("prune", () => {
  it("keeps only grants still inside a window and the margin, live leases and a pause to come", () => {
    const state: BudgetState = {
      grants: [0, 5_000, 50_000, 60_000, 70_000],
      leases: [
        { id: "old", expiresAt: 69_999 },
        { id: "live", expiresAt: 80_000 },
      ],
      pausedUntil: 69_000,
    };
    expect(prune(state, 70_000, limits)).toEqual({ grants: [50_000, 60_000, 70_000], leases: [{ id: "live", expiresAt: 80_000 }], pausedUntil: 0 });
    // More than `limit` grants may stay: cancelling the last makes the one before it count again.
    expect(prune({ ...state, grants: [60_000, 61_000, 62_000, 63_000] }, 62_000, limits).grants).toEqual([60_000, 61_000, 62_000, 63_000]);
    expect(prune({ ...state, pausedUntil: 75_000 }, 70_000, limits).pausedUntil).toBe(75_000);
    expect(prune(state, 70_000, { ...limits, callsPerWindow: 0, maxConcurrent: 0 })).toEqual({ grants: [], leases: [], pausedUntil: 0 });
  });
});

describe("cancel, rebook and pause", () => {
  it("cancel gives back the reservation's grant and lease", () => {
    const a = reserved(emptyBudget, 0, "a");
    const b = reserved(a.state, 0, "b");
    expect(cancel(b.state, "b", b.at)).toEqual(a.state);
  });

  it("rebook moves a reservation past a pause that began after it was made, keeping its lease", () => {
    const a = reserved(emptyBudget, 0, "a");
    const b = reserved(a.state, 0, "b");
    const paused = pause(b.state, 30_000);
    const moved = rebook(paused, 1_000, limits, "b", b.at);
    expect(moved.at).toBe(30_000);
    expect(moved.state.grants).toEqual([0, 30_000]);
    expect(moved.state.leases.map((l) => l.id)).toEqual(["a", "b"]);
    expect(moved.state.leases[1]!.expiresAt).toBe(50_000);
  });

  it("keeps the later of two pauses", () => {
    expect(pause(pause(emptyBudget, 30_000), 20_000).pausedUntil).toBe(30_000);
  });
});

describe("projectSlots", () => {
  it("tells where the next waiters would start", () => {
    const state = { ...emptyBudget, grants: [0, 10_000] };
    expect(projectSlots(state, 20_000, limits, 4)).toEqual([20_000, 61_000, 71_000, 81_000]);
    expect(projectSlots(state, 20_000, { ...limits, callsPerWindow: 0 }, 2)).toEqual([20_000, 20_000]);
  });
});

describe("the invariant", () => {
  it("respectsRateLimit and busiestWindow agree on known cases", () => {
    expect(respectsRateLimit([0, 0, 0, 61_000], limits)).toBe(true);
    expect(respectsRateLimit([0, 0, 0, 60_999], limits)).toBe(false);
    expect(respectsRateLimit([0, 10, 5], limits)).toBe(false);
    expect(busiestWindow([0, 0, 0, 60_000], 60_000)).toBe(3);
    expect(busiestWindow([0, 0, 0, 59_999], 60_000)).toBe(4);
  });

  it("holds under any interleaving of reservations, releases, cancellations and pauses (seeded simulation)", () => {
    // A small deterministic PRNG, so a failure can be replayed.
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const l: BudgetLimits = { callsPerWindow: 5, windowMs: 1_000, marginMs: 50, maxConcurrent: 3, leaseMs: 400 };
    let state = emptyBudget;
    let now = 0;
    const held: { id: string; at: number }[] = [];
    const started: number[] = [];
    let maxInFlight = 0;
    for (let step = 0; step < 5_000; step++) {
      now += Math.floor(random() * 40);
      state = prune(state, now, l);
      const dice = random();
      if (dice < 0.5) {
        const id = `c${step}`;
        const r = reserve(state, now, l, id);
        if (r.kind === "reserved") {
          state = r.state;
          held.push({ id, at: r.at });
          started.push(r.at);
        }
      } else if (dice < 0.85 && held.length > 0) {
        const done = held.splice(Math.floor(random() * held.length), 1)[0]!;
        state = release(state, done.id);
      } else if (dice < 0.9 && held.length > 0) {
        const dropped = held.pop()!;
        if (dropped.at > now) {
          state = cancel(state, dropped.id, dropped.at);
          started.splice(started.lastIndexOf(dropped.at), 1);
        } else {
          state = release(state, dropped.id);
        }
      } else if (dice < 0.92) {
        state = pause(state, now + Math.floor(random() * 500));
      } else if (dice < 0.95) {
        // Reservations a pause now covers move past it, as their holders do before starting.
        for (const h of held.filter((x) => x.at > now && x.at < state.pausedUntil)) {
          const moved = rebook(state, now, l, h.id, h.at);
          started.splice(started.lastIndexOf(h.at), 1, moved.at);
          state = moved.state;
          h.at = moved.at;
        }
      }
      maxInFlight = Math.max(maxInFlight, state.leases.filter((lease) => lease.expiresAt > now).length);
      expect(respectsRateLimit(state.grants, l)).toBe(true);
    }
    expect(started.length).toBeGreaterThan(100);
    // Every call started within the margin of its slot stays within the limit in every window.
    expect(busiestWindow(started.map((at) => at + Math.floor(random() * l.marginMs)), l.windowMs)).toBeLessThanOrEqual(l.callsPerWindow);
    expect(maxInFlight).toBeLessThanOrEqual(l.maxConcurrent);
  });
});
