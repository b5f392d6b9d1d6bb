import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorReasonSchema, RetryInfoSchema } from "@t2m/proto/common/v1/common";
import { describe, expect, it } from "vitest";
import { codeName, describeCallError } from "./errors.js";

const local = { server: "fulfilment" as const, baseUrl: "http://127.0.0.1:4102", localDefault: true };

describe("describeCallError", () => {
  it("names the code as gRPC does, with the message and the details", () => {
    const err = new ConnectError('order "T2M1" is FULFILLED', Code.FailedPrecondition, undefined, [
      { desc: ErrorReasonSchema, value: create(ErrorReasonSchema, { reason: "ORDER_FINISHED" }) },
      { desc: BadRequestSchema, value: create(BadRequestSchema, { fieldViolations: [{ field: "order_id", description: "is required" }] }) },
      { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelayMs: 1500n }) },
    ]);
    expect(describeCallError(err, local)).toEqual([
      'error: FAILED_PRECONDITION: order "T2M1" is FULFILLED',
      "  reason: ORDER_FINISHED",
      "  order_id: is required",
      "  retry after: 1.5s",
    ]);
    expect([Code.NotFound, Code.Unauthenticated, Code.InvalidArgument].map(codeName)).toEqual(["NOT_FOUND", "UNAUTHENTICATED", "INVALID_ARGUMENT"]);
  });

  it("says which process could not be reached, and where it looked", () => {
    const refused = new ConnectError("fetch failed", Code.Unavailable, undefined, undefined, Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4102"), { code: "ECONNREFUSED" }));
    expect(describeCallError(refused, local)).toEqual(["error: cannot reach fulfilment at http://127.0.0.1:4102: is `npm start` running? (use --url)"]);
    expect(describeCallError(refused, { ...local, baseUrl: "https://ops.example.com", localDefault: false })).toEqual(["error: cannot reach fulfilment at https://ops.example.com (ECONNREFUSED)"]);
  });

  it("points at the token when it is refused, without showing it", () => {
    const lines = describeCallError(new ConnectError("a service token is required", Code.Unauthenticated), local);
    expect(lines[0]).toBe("error: UNAUTHENTICATED: a service token is required");
    expect(lines.join("\n")).toMatch(/--token/);
  });
});
