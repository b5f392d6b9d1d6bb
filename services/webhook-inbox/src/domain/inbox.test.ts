import { describe, expect, it } from "vitest";
import { headerTimestamp, InboxStore, parseBody, summarise, type NewInboxMessage } from "./inbox.js";

const message = (body: unknown, overrides: Partial<NewInboxMessage> = {}): NewInboxMessage => ({
  webhookId: "msg_1",
  timestamp: null,
  body,
  rawBody: JSON.stringify(body),
  headers: {},
  verified: true,
  receivedAt: "2026-01-01T00:00:00.000Z",
  path: "/webhooks/t2mobile",
  responseStatus: 200,
  ...overrides,
});

describe("summarise", () => {
  it("reads type, order id and status from a Standard Webhooks envelope", () => {
    expect(summarise({ type: "order.fulfilled", timestamp: "x", data: { orderId: "T2M1", status: "FULFILLED" } })).toEqual({
      type: "order.fulfilled",
      orderId: "T2M1",
      status: "FULFILLED",
    });
  });

  it("accepts flat bodies and snake_case order ids", () => {
    expect(summarise({ eventType: "ORDER_FAILED", orderId: "A", status: "FAILED" })).toEqual({
      type: "ORDER_FAILED",
      orderId: "A",
      status: "FAILED",
    });
    expect(summarise({ type: "t", data: { order_id: "B" } }).orderId).toBe("B");
  });

  it("gives nulls for bodies that are not objects", () => {
    for (const body of [null, "text", 42, ["a"]]) expect(summarise(body)).toEqual({ type: null, orderId: null, status: null });
  });
});

describe("parseBody and headerTimestamp", () => {
  it("parses JSON and keeps anything else as text", () => {
    expect(parseBody('{"a":1}')).toEqual({ a: 1 });
    expect(parseBody("not json")).toBe("not json");
    expect(parseBody("")).toBeNull();
  });

  it("converts Unix seconds to ISO and refuses anything else", () => {
    expect(headerTimestamp("1767225600")).toBe("2026-01-01T00:00:00.000Z");
    expect(headerTimestamp(undefined)).toBeNull();
    expect(headerTimestamp("2026-01-01")).toBeNull();
    expect(headerTimestamp("-5")).toBeNull();
  });
});

describe("InboxStore", () => {
  it("numbers messages and filters by order, type and verification", () => {
    const store = new InboxStore();
    store.add(message({ type: "order.fulfilled", data: { orderId: "A" } }));
    store.add(message({ type: "order.failed", data: { orderId: "B" } }));
    store.add(message({ type: "order.fulfilled", data: { orderId: "B" } }, { verified: false, responseStatus: 401, error: "bad" }));

    expect(store.list().map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(store.list({ orderId: "B" }).map((m) => m.seq)).toEqual([2, 3]);
    expect(store.list({ orderId: "B", type: "order.fulfilled" }).map((m) => m.seq)).toEqual([3]);
    expect(store.list({ verified: true }).map((m) => m.seq)).toEqual([1, 2]);
    expect(store.list({ orderId: "nope" })).toEqual([]);
  });

  it("keeps only the newest messages past its capacity and never reuses numbers after clear()", () => {
    const store = new InboxStore(2);
    for (let i = 0; i < 3; i++) store.add(message({ data: { orderId: String(i) } }));
    expect(store.list().map((m) => m.orderId)).toEqual(["1", "2"]);
    expect(store.clear()).toBe(2);
    expect(store.size).toBe(0);
    expect(store.add(message(null)).seq).toBe(4);
  });

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new InboxStore(0)).toThrow(RangeError);
  });
});
