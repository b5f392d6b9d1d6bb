import { describe, expect, it } from "vitest";
import { faultEnvelope, FaultPlan, FaultSpecError, isRateLimitFault, parseFaultSpec } from "./faults.js";

describe("parseFaultSpec", () => {
  it("defaults times to one", () => {
    expect(parseFaultSpec({ operation: "createSalesOrder", status: 500 })).toEqual({ operation: "createSalesOrder", status: 500, times: 1 });
  });

  it.each([
    [{ operation: "deleteEverything", status: 500 }, "operation must be one of token, listItems"],
    [{ operation: "token" }, "give status (answer with an error) or delayMs"],
    [{ operation: "listItems", status: 500, times: 0 }, "times must be a positive integer, or -1 for always"],
    [{ operation: "listItems", status: 500, delay: 10 }, "unknown field(s): delay"],
    [{ operation: "listItems", status: 200 }, "status must be 400-599"],
    [{ operation: "listItems", status: 700 }, "status"],
    [{ operation: "listItems", delayMs: -5 }, "delayMs"],
    [{ operation: "listItems", delayMs: 100, code: 1 }, "status is required when code or message is given"],
    [{ operation: "listItems", status: 503, probability: 1.5 }, "probability"],
    [{ operation: "listItems", status: 503, match: "" }, "match"],
    [{ operation: "listItems", status: 503, retryAfterSeconds: 5 }, "retryAfterSeconds applies only to a 429 or code 45 answer"],
    ["createSalesOrder", "expected object"],
  ])("rejects %j with a message naming the problem", (input, expected) => {
    expect(() => parseFaultSpec(input)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(input)).toThrow(expected);
  });

  it("lets the token endpoint fail with HTTP 200, as Zoho's accounts server does", () => {
    expect(parseFaultSpec({ operation: "token", status: 200, message: "Access Denied" }).status).toBe(200);
  });
});

describe("FaultPlan", () => {
  it("applies a fault to as many calls as it was given, then no more", () => {
    const plan = new FaultPlan();
    plan.add(parseFaultSpec({ operation: "createSalesOrder", status: 503, times: 2 }));
    expect(plan.take("createSalesOrder")?.status).toBe(503);
    expect(plan.list()[0]?.hits).toBe(1);
    expect(plan.take("createSalesOrder")?.status).toBe(503);
    expect(plan.take("createSalesOrder")).toBeUndefined();
    expect(plan.list()).toEqual([]);
  });

  it("keeps a times=-1 fault until cleared", () => {
    const plan = new FaultPlan();
    plan.add(parseFaultSpec({ operation: "listItems", status: 500, times: -1 }));
    for (let i = 0; i < 5; i++) expect(plan.take("listItems")?.status).toBe(500);
    expect(plan.clear()).toBe(1);
    expect(plan.take("listItems")).toBeUndefined();
  });

  it("uses faults in the order they were added, and only for their operation", () => {
    const plan = new FaultPlan();
    plan.add(parseFaultSpec({ operation: "confirmSalesOrder", status: 500 }));
    plan.add(parseFaultSpec({ operation: "confirmSalesOrder", delayMs: 50 }));
    expect(plan.take("createSalesOrder")).toBeUndefined();
    expect(plan.take("confirmSalesOrder")).toMatchObject({ status: 500 });
    expect(plan.take("confirmSalesOrder")).toMatchObject({ delayMs: 50 });
    expect(plan.take("confirmSalesOrder")).toBeUndefined();
  });
});

describe("FaultPlan matching and chance", () => {
  it("applies a matching fault only to requests containing its text", () => {
    const plan = new FaultPlan();
    plan.add(parseFaultSpec({ operation: "createSalesOrder", status: 503, times: -1, match: "T2M-LOAD-" }));
    expect(plan.take("createSalesOrder", '/salesorders?organization_id=1\n{"salesorder_number":"T2M-9"}')).toBeUndefined();
    expect(plan.take("createSalesOrder", '/salesorders?organization_id=1\n{"salesorder_number":"T2M-LOAD-9"}')?.status).toBe(503);
    expect(plan.list()[0]?.hits).toBe(1);
  });

  it("applies a fault with a probability only when the draw falls under it, counting only those calls", () => {
    const plan = new FaultPlan();
    plan.add(parseFaultSpec({ operation: "listItems", status: 503, times: 2, probability: 0.2 }));
    const draws = [0.5, 0.1, 0.9, 0.19999];
    const random = () => draws.shift()!;
    expect([1, 2, 3, 4].map(() => plan.take("listItems", "", random)?.status)).toEqual([undefined, 503, undefined, 503]);
    expect(plan.list()).toEqual([]);
  });

  it("lets a later fault apply when an earlier one does not match", () => {
    const plan = new FaultPlan();
    plan.add(parseFaultSpec({ operation: "createSalesOrder", status: 500, match: "A-" }));
    plan.add(parseFaultSpec({ operation: "createSalesOrder", status: 400, code: 45 }));
    expect(plan.take("createSalesOrder", "B-1")).toMatchObject({ status: 400, code: 45 });
    expect(plan.take("createSalesOrder", "A-1")).toMatchObject({ status: 500 });
  });
});

describe("isRateLimitFault", () => {
  it("is any 429, and code 45 on any status", () => {
    expect(isRateLimitFault({ status: 429 })).toBe(true);
    expect(isRateLimitFault({ status: 400, code: 45 })).toBe(true);
    expect(isRateLimitFault({ status: 503 })).toBe(false);
    expect(isRateLimitFault({ status: undefined, code: 45 })).toBe(false);
    expect(parseFaultSpec({ operation: "listItems", status: 400, code: 45, retryAfterSeconds: 3 }).retryAfterSeconds).toBe(3);
  });
});

describe("faultEnvelope", () => {
  it("answers with Zoho's code for the status unless the fault names one", () => {
    expect(faultEnvelope({ operation: "listItems", status: 429, times: 1 })).toEqual({ code: 45, message: "Request Limit Exceeded" });
    expect(faultEnvelope({ operation: "listItems", status: 500, times: 1 })).toEqual({ code: 1000, message: "Internal error" });
    expect(faultEnvelope({ operation: "listItems", status: 400, code: 4, message: "nope", times: 1 })).toEqual({ code: 4, message: "nope" });
  });
});
