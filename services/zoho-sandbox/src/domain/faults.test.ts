import { describe, expect, it } from "vitest";
import { faultEnvelope, FaultPlan, FaultSpecError, parseFaultSpec } from "./faults.js";

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

describe("faultEnvelope", () => {
  it("answers with Zoho's code for the status unless the fault names one", () => {
    expect(faultEnvelope({ operation: "listItems", status: 429, times: 1 })).toEqual({ code: 45, message: "Request Limit Exceeded" });
    expect(faultEnvelope({ operation: "listItems", status: 500, times: 1 })).toEqual({ code: 1000, message: "Internal error" });
    expect(faultEnvelope({ operation: "listItems", status: 400, code: 4, message: "nope", times: 1 })).toEqual({ code: 4, message: "nope" });
  });
});
