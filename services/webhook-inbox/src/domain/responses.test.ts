import { describe, expect, it } from "vitest";
import { MAX_TIMES, parseResponseRule, ResponsePlan } from "./responses.js";

describe("parseResponseRule", () => {
  it("accepts status and times, with times defaulting to 1", () => {
    expect(parseResponseRule({ status: 503, times: 2 })).toEqual({ ok: true, value: { status: 503, times: 2 } });
    expect(parseResponseRule({ status: 500 })).toEqual({ ok: true, value: { status: 500, times: 1 } });
    expect(parseResponseRule({ status: 429, retryAfter: 2 })).toEqual({ ok: true, value: { status: 429, times: 1, retryAfter: 2 } });
  });

  it.each([
    [null, /JSON object/],
    [[1], /JSON object/],
    [{}, /status must be/],
    [{ status: "503" }, /status must be/],
    [{ status: 99 }, /status must be/],
    [{ status: 600 }, /status must be/],
    [{ status: 503.5 }, /status must be/],
    [{ status: 503, times: 0 }, /times must be/],
    [{ status: 503, times: MAX_TIMES + 1 }, /times must be/],
    [{ status: 503, times: "2" }, /times must be/],
    [{ status: 503, count: 2 }, /unknown field\(s\): count/],
    [{ status: 503, retryAfter: -1 }, /retryAfter must be/],
  ])("rejects %j with a clear message", (input, message) => {
    const result = parseResponseRule(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });
});

describe("ResponsePlan", () => {
  it("answers the next K deliveries with the status, then nothing", () => {
    const plan = new ResponsePlan();
    expect(plan.take()).toBeUndefined();
    plan.set({ status: 503, times: 2 });
    expect(plan.peek()).toEqual({ status: 503, remaining: 2 });
    expect(plan.take()).toBe(503);
    expect(plan.take()).toBe(503);
    expect(plan.take()).toBeUndefined();
    expect(plan.peek()).toBeUndefined();
  });

  it("replaces what is left of an earlier rule, and can be reset", () => {
    const plan = new ResponsePlan();
    plan.set({ status: 503, times: 5 });
    plan.take();
    plan.set({ status: 410, times: 1 });
    expect(plan.take()).toBe(410);
    expect(plan.take()).toBeUndefined();
    plan.set({ status: 500, times: 3 });
    plan.reset();
    expect(plan.take()).toBeUndefined();
  });
});
