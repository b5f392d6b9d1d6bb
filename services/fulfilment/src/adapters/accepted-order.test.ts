import { describe, expect, it } from "vitest";
import { sampleOrder } from "../domain/order.fixtures.js";
import { fromAcceptedOrder, toAcceptedOrder } from "./accepted-order.js";

describe("the accepted order carried by OrderSubmitted", () => {
  it("stands for exactly the order intake stored", () => {
    const order = sampleOrder({ createdAt: new Date("2026-11-27T10:00:00.123Z") });
    expect(fromAcceptedOrder(toAcceptedOrder(order))).toEqual({ ...order, updatedAt: order.createdAt });
  });

  it("keeps a partner's order and a renewal what they are", () => {
    const order = sampleOrder({ orderId: "acme~A1", partnerId: "acme", partnerOrderId: "A1", renews: { reference: "ZL-ABC", subscriptionId: "acme~A0" } });
    expect(fromAcceptedOrder(toAcceptedOrder(order))).toEqual({ ...order, updatedAt: order.createdAt });
  });

  it("is ignored when absent or incomplete (events published before it existed)", () => {
    expect(fromAcceptedOrder(undefined)).toBeUndefined();
    const partial = toAcceptedOrder(sampleOrder());
    partial.customer = undefined;
    expect(fromAcceptedOrder(partial)).toBeUndefined();
  });
});
