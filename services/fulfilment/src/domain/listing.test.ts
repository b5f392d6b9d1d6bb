import { describe, expect, it } from "vitest";
import { daysBetween, listOrders } from "./listing.js";
import { sampleOrder } from "./order.fixtures.js";
import type { OrderRecord } from "./order.js";

const now = new Date("2026-11-27T10:00:00Z");
const at = (iso: string) => new Date(iso);

function storeOf(orders: OrderRecord[]) {
  const queries: string[] = [];
  return {
    queries,
    changedOn: async (partnerId: string, day: string, status: string | undefined) => {
      queries.push(day);
      return orders
        .filter((o) => o.partnerId === partnerId && o.updatedAt.toISOString().startsWith(day) && (!status || o.status === status))
        .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || (a.orderId < b.orderId ? -1 : 1));
    },
  };
}

describe("listOrders", () => {
  const orders = [
    sampleOrder({ orderId: "A1", updatedAt: at("2026-11-25T10:00:00Z"), status: "FULFILLED" }),
    sampleOrder({ orderId: "A2", updatedAt: at("2026-11-26T09:00:00Z"), status: "FAILED" }),
    sampleOrder({ orderId: "A3", updatedAt: at("2026-11-26T09:00:00Z"), status: "FULFILLED" }),
    sampleOrder({ orderId: "A4", updatedAt: at("2026-11-27T09:59:00Z"), status: "FULFILLED" }),
    sampleOrder({ orderId: "acme~A1", partnerId: "acme", partnerOrderId: "A1", updatedAt: at("2026-11-26T09:00:00Z"), status: "FULFILLED" }),
  ];

  it("pages through one partner's orders by change time then id, a day's query at a time", async () => {
    const store = storeOf(orders);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listOrders({ partnerId: "t2mobile", since: at("2026-11-25T00:00:00Z"), limit: 2, cursor }, store.changedOn, now);
      seen.push(...page.orders.map((o) => o.orderId));
      cursor = page.nextCursor || undefined;
    } while (cursor);
    expect(seen).toEqual(["A1", "A2", "A3", "A4"]);
    expect(new Set(store.queries)).toEqual(new Set(["2026-11-25", "2026-11-26", "2026-11-27"]));
  });

  it("filters by status and since, and refuses a window over 7 days or another partner's cursor", async () => {
    const store = storeOf(orders);
    const fulfilled = await listOrders({ partnerId: "t2mobile", status: "FULFILLED", since: at("2026-11-26T00:00:00Z") }, store.changedOn, now);
    expect(fulfilled.orders.map((o) => o.orderId)).toEqual(["A3", "A4"]);
    await expect(listOrders({ partnerId: "t2mobile", since: at("2026-11-01T00:00:00Z") }, store.changedOn, now)).rejects.toThrow(/7 days/);
    const page = await listOrders({ partnerId: "t2mobile", since: at("2026-11-25T00:00:00Z"), limit: 1 }, store.changedOn, now);
    await expect(listOrders({ partnerId: "acme", cursor: page.nextCursor }, store.changedOn, now)).rejects.toThrow(/cursor/);
  });

  it("counts the days of a window", () => {
    expect(daysBetween(Date.parse("2026-11-25T23:00:00Z"), Date.parse("2026-11-27T01:00:00Z"))).toEqual(["2026-11-25", "2026-11-26", "2026-11-27"]);
  });
});
