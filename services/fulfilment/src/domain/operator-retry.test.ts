import { describe, expect, it } from "vitest";
import { operatorRedriveTag, planOperatorRetry } from "./operator-retry.js";

describe("an operator's retry", () => {
  it.each(["PENDING", "PROCESSING"] as const)("re-drives a %s order's next attempt", (status) => {
    expect(planOperatorRetry({ orderId: "T2M1", status, attempts: 2 })).toEqual({ action: "redrive", attempt: 3 });
  });

  it.each(["FULFILLED", "FAILED"] as const)("refuses a %s order, naming its status", (status) => {
    const plan = planOperatorRetry({ orderId: "T2M1", status, attempts: 1 });
    expect(plan.action).toBe("refuse");
    expect(plan.action === "refuse" && plan.reason).toContain(status);
  });

  it("tags re-drives by the minute, apart from the sweep's", () => {
    const t = new Date("2026-11-27T10:00:05Z");
    expect(operatorRedriveTag(t)).toBe(operatorRedriveTag(new Date("2026-11-27T10:00:59Z")));
    expect(operatorRedriveTag(t)).not.toBe(operatorRedriveTag(new Date("2026-11-27T10:01:00Z")));
    expect(operatorRedriveTag(t)).toMatch(/^operator-\d+$/);
  });
});
