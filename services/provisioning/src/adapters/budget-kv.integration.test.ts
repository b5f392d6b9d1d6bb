// The shared Zoho call budget on a real nats-server (2.9, JetStream KV):
// two budgets on two connections stand for two provisioning replicas
// sharing one bucket; together they keep the rate and concurrency limits,
// both honour a pause either asks for, and against a Zoho sandbox that
// enforces the same limits they never draw a 429.
import { startNatsServer, type NatsServer } from "@t2m/devstack";
import { createLogger, createMetrics, EventBus, type KV } from "@t2m/platform";
import { KvBuckets } from "@t2m/topology";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busiestWindow, respectsRateLimit, type BudgetLimits } from "../domain/budget.js";
import { CallBudget, type CallContext } from "../domain/call-budget.js";
import { startZohoSandbox } from "@t2m/zoho-sandbox";
import { KvBudgetStore } from "./budget-kv.js";
import { ZohoInventoryClient } from "./zoho/index.js";

let server: NatsServer;
const buses: EventBus[] = [];
const kvs: KV[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  for (const name of ["replica-a", "replica-b"]) {
    const bus = await EventBus.connect({ url: server.url, name, logger: createLogger(name, "silent"), metrics: createMetrics(name), ackWaitMs: 5_000 });
    buses.push(bus);
    kvs.push(await bus.kv(KvBuckets.zohoBudget));
  }
}, 60_000);

afterAll(async () => {
  for (const bus of buses) await bus.close();
  await server?.stop();
});

const limits: BudgetLimits = { callsPerWindow: 4, windowMs: 1_000, marginMs: 100, maxConcurrent: 2, leaseMs: 5_000 };
const ctx = (priority: number): CallContext => ({ priority, deadline: Date.now() + 30_000 });

/** One budget per replica, on the same key of the shared bucket. */
function replicas(key: string) {
  return kvs.map((kv, i) => new CallBudget({ store: new KvBudgetStore(kv, key), limits, holder: `replica-${i}` }));
}

describe("KvBudgetStore", () => {
  it("reads an empty budget at version 0, then compare-and-sets by revision", async () => {
    const store = new KvBudgetStore(kvs[0]!, "cas_test");
    const other = new KvBudgetStore(kvs[1]!, "cas_test");
    expect(await store.read()).toEqual({ state: { grants: [], leases: [], pausedUntil: 0 }, version: 0 });
    expect(await store.write({ grants: [1], leases: [], pausedUntil: 0 }, 0)).toBe(true);
    expect(await other.write({ grants: [2], leases: [], pausedUntil: 0 }, 0)).toBe(false);
    const { state, version } = await other.read();
    expect(state.grants).toEqual([1]);
    expect(await other.write({ grants: [1, 2], leases: [{ id: "b:1", expiresAt: 99 }], pausedUntil: 5 }, version)).toBe(true);
    expect(await store.write({ grants: [3], leases: [], pausedUntil: 0 }, version)).toBe(false);
    expect((await store.read()).state).toEqual({ grants: [1, 2], leases: [{ id: "b:1", expiresAt: 99 }], pausedUntil: 5 });
  });

  it("names an organisation's key by a digest of its id, never the id itself", () => {
    const key = KvBudgetStore.keyFor("10234695");
    expect(key).toMatch(/^org_[0-9a-f]{24}$/);
    expect(key).not.toContain("10234695");
    expect(KvBudgetStore.keyFor("10234695")).toBe(key);
  });
});

describe("two replicas sharing one budget", () => {
  it("together never exceed the rate or the concurrency limit", async () => {
    const [a, b] = replicas("shared_limits");
    const slots: number[] = [];
    let inFlight = 0;
    let most = 0;
    let early = 0;
    const call = (budget: CallBudget, priority: number) =>
      budget.run(ctx(priority), async (slot) => {
        if (Date.now() < slot) early++;
        slots.push(slot);
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 30));
        inFlight--;
      });
    await Promise.all(Array.from({ length: 12 }, (_, i) => call(i % 2 === 0 ? a! : b!, i)));

    expect(slots).toHaveLength(12);
    const sorted = [...slots].sort((x, y) => x - y);
    // Any 5 consecutive slots span at least the window and the margin, so no window holds more than 4 calls.
    expect(respectsRateLimit(sorted, limits)).toBe(true);
    expect(busiestWindow(sorted, limits.windowMs)).toBeLessThanOrEqual(limits.callsPerWindow);
    expect(early).toBe(0);
    expect(most).toBeLessThanOrEqual(limits.maxConcurrent);
    // Every lease was given back.
    expect((await new KvBudgetStore(kvs[0]!, "shared_limits").read()).state.leases).toEqual([]);
  });

  it("a pause asked for by one replica holds the other's calls too", async () => {
    const [a, b] = replicas("shared_pause");
    const until = Date.now() + 1_500;
    await b!.pause(until);
    let slot = 0;
    await a!.run(ctx(1), async (s) => {
      slot = s;
    });
    expect(slot).toBeGreaterThanOrEqual(until);
  });
});

describe("two replicas against a Zoho that enforces its limits", () => {
  it("never draw a 429: every call is answered within the sliding window and the concurrency limit", async () => {
    // Zoho's limits scaled down (5 calls per 2 s window, 2 at once) so that one test crosses several windows.
    const zoho = await startZohoSandbox({ rateLimitPerMinute: 5, rateLimitWindowMs: 2_000, maxConcurrent: 2 });
    try {
      // Each call takes a while, so the concurrency limit matters too.
      zoho.state.faults.add({ operation: "findContacts", delayMs: 50, times: -1 });
      const scaled: BudgetLimits = { callsPerWindow: 5, windowMs: 2_000, marginMs: 700, maxConcurrent: 2, leaseMs: 10_000 };
      const clients = kvs.map(
        (kv, i) =>
          new ZohoInventoryClient({
            accountsUrl: zoho.url,
            apiUrl: zoho.apiUrl,
            organizationId: zoho.organizationId,
            ...zoho.credentials,
            logger: createLogger(`replica-${i}`, "silent"),
            budget: new CallBudget({ store: new KvBudgetStore(kv, "sandbox_limits"), limits: scaled, holder: `replica-${i}` }),
          }),
      );
      const found = await Promise.all(
        Array.from({ length: 20 }, (_, i) => clients[i % 2]!.findContactByEmail(`nobody.${i}@example.ng`, { priority: i, deadline: Date.now() + 60_000 })),
      );
      expect(found.every((contact) => contact === undefined)).toBe(true);
      const state = zoho.state.snapshot();
      expect(state.requests.findContacts.byStatus).toEqual({ "200": 20 });
      expect(state.limits.peakInFlight).toBeLessThanOrEqual(2);
    } finally {
      await zoho.close();
    }
  }, 60_000);
});
