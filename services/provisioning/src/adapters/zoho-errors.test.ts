import { Code } from "@t2m/platform";
import { describe, expect, it } from "vitest";
import { ZohoApiError } from "./zoho/index.js";
import { zohoErrorToConnect } from "./zoho-errors.js";

describe("zohoErrorToConnect", () => {
  it("makes retryable failures UNAVAILABLE and the rest FAILED_PRECONDITION", () => {
    const retryable = new ZohoApiError({ operation: "createSalesOrder", kind: "http", retryable: true, httpStatus: 503, message: "Zoho createSalesOrder failed with HTTP 503" });
    const rejected = new ZohoApiError({ operation: "createSalesOrder", kind: "http", retryable: false, httpStatus: 400, zohoCode: 1001, message: "Zoho createSalesOrder failed with HTTP 400 (invalid customer)" });
    expect(zohoErrorToConnect(retryable)?.code).toBe(Code.Unavailable);
    const mapped = zohoErrorToConnect(rejected);
    expect(mapped?.code).toBe(Code.FailedPrecondition);
    expect(mapped?.rawMessage).toBe("Zoho rejected the order: Zoho createSalesOrder failed with HTTP 400 (invalid customer)");
    expect(zohoErrorToConnect(new Error("other"))).toBeUndefined();
  });
});
