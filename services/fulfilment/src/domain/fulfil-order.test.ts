import { describe, expect, it } from "vitest";
import { fulfilOrder, retryDelayMs, type FulfilOrderPorts, type StepFailure } from "./fulfil-order.js";
import type { OrderRecord } from "./order.js";
import { sampleOrder } from "./order.fixtures.js";

const created = new Date("2026-11-27T10:00:00Z");

const pendingOrder = (overrides: Partial<OrderRecord> = {}) => sampleOrder({ createdAt: created, submittedPublishedAt: created, ...overrides });

class TransientError extends Error {}

/** In-memory ports that count every external effect. */
function harness(order: OrderRecord | undefined, behaviour: { salesOrder?: () => void; licence?: () => void } = {}) {
  const orders = new Map(order ? [[order.orderId, order]] : []);
  const calls = { salesOrders: 0, licences: 0, announcements: [] as OrderRecord[] };
  const update = (id: string, patch: Partial<OrderRecord>) => {
    const next = { ...orders.get(id)!, ...patch };
    orders.set(id, next);
    return next;
  };
  const ports: FulfilOrderPorts = {
    load: async (id) => orders.get(id),
    markProcessing: async (id, at) =>
      update(id, { status: "PROCESSING", processingAttempts: orders.get(id)!.processingAttempts + 1, updatedAt: at }),
    recordSalesOrder: async (id, r) => update(id, { ...r }),
    recordLicence: async (id, r) => update(id, { ...r }),
    markFulfilled: async (id, at) => update(id, { status: "FULFILLED", fulfilledAt: at }),
    markFailed: async (id, reason, at) => update(id, { status: "FAILED", failureReason: reason, failedAt: at }),
    createSalesOrder: async () => {
      behaviour.salesOrder?.();
      calls.salesOrders += 1;
      return { zohoSalesOrderId: "SO-1", zohoSalesOrderNumber: "T2M1", zohoCustomerId: "CU-1" };
    },
    provisionLicence: async () => {
      behaviour.licence?.();
      calls.licences += 1;
      return { activationReference: "ACT-1", expiryDate: new Date("2027-11-27T10:00:00Z") };
    },
    announceOutcome: async (o) => {
      calls.announcements.push(o);
      update(o.orderId, { outcomePublishedAt: new Date() });
    },
    classify: (err): StepFailure => ({ permanent: !(err instanceof TransientError), message: (err as Error).message }),
    now: () => new Date("2026-11-27T10:00:05Z"),
  };
  return { ports, orders, calls };
}

const first = { deliveryCount: 1, lastDelivery: false };

describe("fulfilOrder", () => {
  it("creates the sales order, provisions the licence, fulfils and announces", async () => {
    const { ports, orders, calls } = harness(pendingOrder());
    const result = await fulfilOrder("T2M1", first, ports);
    expect(result.kind).toBe("completed");
    const stored = orders.get("T2M1")!;
    expect(stored.status).toBe("FULFILLED");
    expect(stored.zohoSalesOrderId).toBe("SO-1");
    expect(stored.activationReference).toBe("ACT-1");
    expect(calls).toMatchObject({ salesOrders: 1, licences: 1 });
    expect(calls.announcements.map((o) => o.status)).toEqual(["FULFILLED"]);
  });

  it("resumes after a crash without repeating the sales order", async () => {
    const { ports, orders, calls } = harness(
      pendingOrder({ status: "PROCESSING", zohoSalesOrderId: "SO-1", zohoSalesOrderNumber: "T2M1", zohoCustomerId: "CU-1" }),
    );
    await fulfilOrder("T2M1", { deliveryCount: 2, lastDelivery: false }, ports);
    expect(calls.salesOrders).toBe(0);
    expect(calls.licences).toBe(1);
    expect(orders.get("T2M1")!.status).toBe("FULFILLED");
  });

  it("only announces an order that was finished but not announced", async () => {
    const { ports, calls } = harness(pendingOrder({ status: "FULFILLED", zohoSalesOrderId: "SO-1", activationReference: "ACT-1" }));
    const result = await fulfilOrder("T2M1", { deliveryCount: 2, lastDelivery: false }, ports);
    expect(result.kind).toBe("completed");
    expect(calls).toMatchObject({ salesOrders: 0, licences: 0 });
    expect(calls.announcements).toHaveLength(1);
  });

  it("does nothing more for an order already finished and announced", async () => {
    const { ports, calls } = harness(pendingOrder({ status: "FAILED", outcomePublishedAt: created }));
    await fulfilOrder("T2M1", first, ports);
    expect(calls).toMatchObject({ salesOrders: 0, licences: 0, announcements: [] });
  });

  it("retries a transient failure with backoff and keeps what was done", async () => {
    const { ports, orders } = harness(pendingOrder(), {
      licence: () => {
        throw new TransientError("provisioning unavailable");
      },
    });
    const result = await fulfilOrder("T2M1", { deliveryCount: 3, lastDelivery: false }, ports);
    expect(result).toEqual({ kind: "retry", delayMs: retryDelayMs(3), error: "provisioning unavailable" });
    expect(orders.get("T2M1")).toMatchObject({ status: "PROCESSING", zohoSalesOrderId: "SO-1" });
  });

  it("fails the order at once on a permanent failure, with the reason", async () => {
    const { ports, orders, calls } = harness(pendingOrder(), {
      salesOrder: () => {
        throw new Error("Zoho rejected the sales order: invalid customer");
      },
    });
    await fulfilOrder("T2M1", first, ports);
    expect(orders.get("T2M1")).toMatchObject({ status: "FAILED", failureReason: "Zoho rejected the sales order: invalid customer" });
    expect(calls.announcements.map((o) => o.status)).toEqual(["FAILED"]);
  });

  it("gives up on the last delivery of a transient failure", async () => {
    const { ports, orders } = harness(pendingOrder(), {
      salesOrder: () => {
        throw new TransientError("timeout");
      },
    });
    await fulfilOrder("T2M1", { deliveryCount: 20, lastDelivery: true }, ports);
    expect(orders.get("T2M1")).toMatchObject({ status: "FAILED", failureReason: "gave up after 20 attempts: timeout" });
  });

  it("reports an unknown order", async () => {
    const { ports } = harness(undefined);
    expect(await fulfilOrder("nope", first, ports)).toEqual({ kind: "unknown-order" });
  });
});

describe("retryDelayMs", () => {
  it("doubles from 2 s and caps at 5 min", () => {
    expect([1, 2, 3, 10, 30].map(retryDelayMs)).toEqual([2_000, 4_000, 8_000, 300_000, 300_000]);
  });
});
