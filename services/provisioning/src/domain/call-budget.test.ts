import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { busiestWindow, respectsRateLimit, type BudgetLimits } from "./budget.js";
import { BudgetExhaustedError, BudgetUnavailableError, CallBudget, InMemoryBudgetStore, type BudgetStore, type CallContext } from "./call-budget.js";

// Fake timers: time moves only when the test moves it, so every wait is exact and instant.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const limits = (overrides: Partial<BudgetLimits> = {}): BudgetLimits => ({
  callsPerWindow: 2,
  windowMs: 1_000,
  marginMs: 100,
  maxConcurrent: 0,
  leaseMs: 5_000,
  ...overrides,
});

const ctx = (priority: number, maxWaitMs = 60_000): CallContext => ({ priority, deadline: Date.now() + maxWaitMs });

function budget<S extends BudgetStore = InMemoryBudgetStore>(l: BudgetLimits, store: S = new InMemoryBudgetStore() as unknown as S, holder = "replica-a") {
  const waits: { ms: number; outcome: string }[] = [];
  const pauses: number[] = [];
  const b = new CallBudget({
    store,
    limits: l,
    holder,
    observer: { waited: (ms, outcome) => waits.push({ ms, outcome }), pausedUntil: (until) => pauses.push(until) },
  });
  return { budget: b, store, waits, pauses };
}

const work = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (err: unknown) => err,
  );
}

describe("CallBudget", () => {
  it("grants the limit at once, then one window and the margin later, never more in any window", async () => {
    const { budget: b, store } = budget(limits());
    const started: number[] = [];
    const calls = [1, 2, 3, 4, 5].map((p) => b.run(ctx(p), async () => void started.push(Date.now())));
    await vi.advanceTimersByTimeAsync(5_000);
    await Promise.all(calls);
    expect(started.map((t) => t - 1_000_000)).toEqual([0, 0, 1_100, 1_100, 2_200]);
    expect(busiestWindow(started, 1_000)).toBe(2);
    expect(respectsRateLimit(store.state.grants, limits())).toBe(true);
  });

  it("serves waiters oldest order first, whatever order they arrived in", async () => {
    const { budget: b } = budget(limits({ callsPerWindow: 0, maxConcurrent: 1 }));
    const order: number[] = [];
    const blocker = b.run(ctx(100), () => work(500));
    await vi.advanceTimersByTimeAsync(10);
    const waiting = [30, 10, 20].map((p) => b.run(ctx(p), async () => void order.push(p)));
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all([blocker, ...waiting]);
    expect(order).toEqual([10, 20, 30]);
  });

  it("keeps at most maxConcurrent calls in flight and gives every lease back", async () => {
    const { budget: b, store } = budget(limits({ callsPerWindow: 0, maxConcurrent: 2 }));
    let inFlight = 0;
    let most = 0;
    const calls = Array.from({ length: 6 }, (_, i) =>
      b.run(ctx(i), async () => {
        most = Math.max(most, ++inFlight);
        await work(300);
        inFlight--;
      }),
    );
    await vi.advanceTimersByTimeAsync(3_000);
    await Promise.all(calls);
    expect(most).toBe(2);
    expect(store.state.leases).toEqual([]);
  });

  it("keeps the lease of a call that failed in a way the caller says may still be running, until it runs out", async () => {
    const { budget: b, store } = budget(limits({ callsPerWindow: 0, maxConcurrent: 1 }));
    const timedOut = b.run(ctx(1), async () => {
      throw new Error("timeout");
    }, { keepLease: (err) => (err as Error).message === "timeout" });
    await expect(timedOut).rejects.toThrow("timeout");
    expect(store.state.leases).toHaveLength(1);
    const started: number[] = [];
    const next = b.run(ctx(2), async () => void started.push(Date.now()));
    await vi.advanceTimersByTimeAsync(6_000);
    await next;
    expect(started[0]! - 1_000_000).toBeGreaterThanOrEqual(5_000);
  });

  it("refuses at once, with how long to wait, a call whose slot would come after its deadline", async () => {
    const { budget: b, waits } = budget(limits({ callsPerWindow: 1 }));
    await b.run(ctx(1), async () => undefined);
    const error = await rejectionOf(b.run(ctx(2, 500), async () => undefined));
    expect(error).toBeInstanceOf(BudgetExhaustedError);
    expect((error as BudgetExhaustedError).retryAfterMs).toBe(1_100);
    expect(waits.map((w) => w.outcome)).toEqual(["granted", "exhausted"]);
  });

  it("gives up on a waiter whose deadline passes while every lease is taken, and serves the rest", async () => {
    const { budget: b } = budget(limits({ callsPerWindow: 0, maxConcurrent: 1 }));
    const blocker = b.run(ctx(1), () => work(2_000));
    await vi.advanceTimersByTimeAsync(10);
    const impatient = rejectionOf(b.run(ctx(2, 500), async () => "ran"));
    const patient = b.run(ctx(3, 10_000), async () => "ran");
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await impatient).toBeInstanceOf(BudgetExhaustedError);
    expect(await patient).toBe("ran");
    await blocker;
  });

  it("holds every replica's calls until a pause ends, moving slots reserved before it began", async () => {
    const store = new InMemoryBudgetStore();
    const a = budget(limits({ callsPerWindow: 1 }), store, "a");
    const other = budget(limits({ callsPerWindow: 1 }), store, "b");
    await a.budget.run(ctx(1), async () => undefined);
    const started: number[] = [];
    // Reserved for 1 100 ms from now, before anyone knew of the pause.
    const reserved = a.budget.run(ctx(2), async () => void started.push(Date.now()));
    await vi.advanceTimersByTimeAsync(10);
    await other.budget.pause(Date.now() + 5_000);
    await vi.advanceTimersByTimeAsync(10_000);
    await reserved;
    expect(started[0]! - 1_000_000).toBeGreaterThanOrEqual(5_010);
    expect(other.pauses).toEqual([1_005_010]);
    expect(a.pauses).toContain(1_005_010);
  });

  it("refuses at once a call that would wait out a pause longer than its deadline", async () => {
    const { budget: b } = budget(limits());
    await b.pause(Date.now() + 30_000);
    const error = await rejectionOf(b.run(ctx(1, 20_000), async () => undefined));
    expect((error as BudgetExhaustedError).retryAfterMs).toBe(30_000);
  });

  it("with both limits off, writes nothing and only honours a pause", async () => {
    const { budget: b, store } = budget(limits({ callsPerWindow: 0, maxConcurrent: 0 }));
    for (let i = 0; i < 50; i++) await b.run(ctx(i), async () => undefined);
    expect(store.writes).toBe(0);
    await b.pause(Date.now() + 1_000);
    const started: number[] = [];
    const call = b.run(ctx(1), async () => void started.push(Date.now()));
    await vi.advanceTimersByTimeAsync(1_000);
    await call;
    expect(started).toEqual([1_001_000]);
  });

  it("frees a lease its holder never gave back (a crashed replica) once it expires", async () => {
    const store = new InMemoryBudgetStore();
    await store.write({ grants: [], leases: [{ id: "crashed:1", expiresAt: Date.now() + 2_000 }], pausedUntil: 0 }, 0);
    const { budget: b } = budget(limits({ callsPerWindow: 0, maxConcurrent: 1 }), store);
    const started: number[] = [];
    const call = b.run(ctx(1), async () => void started.push(Date.now()));
    await vi.advanceTimersByTimeAsync(3_000);
    await call;
    expect(started[0]! - 1_000_000).toBeGreaterThanOrEqual(2_000);
  });

  it("fails a call when the shared state cannot be reached", async () => {
    const broken: BudgetStore = {
      read: async () => {
        throw new Error("NATS is down");
      },
      write: async () => false,
    };
    const { budget: b } = budget(limits(), broken);
    const error = await rejectionOf(b.run(ctx(1), async () => undefined));
    expect(error).toBeInstanceOf(BudgetUnavailableError);
    expect((error as Error).message).toContain("NATS is down");
  });

  it("keeps going when another replica writes between its read and its write", async () => {
    const inner = new InMemoryBudgetStore();
    let interfere = 3;
    const racing: BudgetStore = {
      read: () => inner.read(),
      write: async (state, version) => {
        if (interfere-- > 0) {
          const current = await inner.read();
          await inner.write({ ...current.state, grants: [...current.state.grants] }, current.version);
        }
        return inner.write(state, version);
      },
    };
    const { budget: b } = budget(limits(), racing);
    await b.run(ctx(1), async () => undefined);
    expect(inner.state.grants).toHaveLength(1);
  });
});
