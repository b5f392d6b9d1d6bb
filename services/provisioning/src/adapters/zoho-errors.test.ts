import { Code, ConnectError, reasonOf } from "@t2m/platform";
import { ErrorReasonSchema, RetryInfoSchema } from "@t2m/proto/common/v1/common";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { LicencePendingManualSchema, LicenceTaskFailedSchema } from "@t2m/proto/provisioning/v1/licence_tasks";
import { describe, expect, it } from "vitest";
import { LicencePendingManual, LicenceTaskFailed } from "../domain/licence-tasks.js";
import { BudgetExhaustedError, BudgetUnavailableError } from "../domain/call-budget.js";
import { IntegrityError, ReconcilePendingError } from "../domain/sales-orders.js";
import { ZohoApiError, type ZohoApiErrorInit } from "./zoho/errors.js";
import { classifyFailure, zohoErrorToConnect } from "./zoho-errors.js";

const zoho = (init: Partial<ZohoApiErrorInit>) =>
  new ZohoApiError({ operation: "createSalesOrder", kind: "http", retryable: false, message: "Zoho createSalesOrder failed", ...init });

describe("classifyFailure (ProvisioningService's error contract)", () => {
  it.each([
    ["a spent budget", new BudgetExhaustedError(4_200.4), Code.ResourceExhausted, "ZOHO_BUDGET_EXHAUSTED", 4_201],
    ["an unreachable budget", new BudgetUnavailableError("NATS down"), Code.Unavailable, "ZOHO_BUDGET_UNAVAILABLE", undefined],
    ["an unproven create", new ReconcilePendingError("not found yet"), Code.Aborted, "ZOHO_RECONCILE_PENDING", undefined],
    ["a clash with another order", new IntegrityError("clash", "T2M-2", "SO-1", "T2M-1"), Code.DataLoss, "INTEGRITY_ERROR", undefined],
    ["a 5xx", zoho({ httpStatus: 503, retryable: true }), Code.Unavailable, "ZOHO_UNAVAILABLE", undefined],
    ["a 5xx with Retry-After", zoho({ httpStatus: 503, retryable: true, retryAfterMs: 3_000 }), Code.Unavailable, "ZOHO_UNAVAILABLE", 3_000],
    ["a timeout", zoho({ kind: "timeout", retryable: true }), Code.Unavailable, "ZOHO_UNAVAILABLE", undefined],
    ["no network", zoho({ kind: "network", retryable: true }), Code.Unavailable, "ZOHO_UNAVAILABLE", undefined],
    ["too many token refreshes", zoho({ kind: "oauth", oauthError: "Access Denied", retryable: true }), Code.Unavailable, "ZOHO_UNAVAILABLE", undefined],
    ["no item for the SKU", zoho({ kind: "missing-item" }), Code.FailedPrecondition, "ZOHO_ITEM_MISSING", undefined],
    ["another customer's order under our number", zoho({ kind: "conflict" }), Code.FailedPrecondition, "ZOHO_NUMBER_CONFLICT", undefined],
    ["bad credentials", zoho({ kind: "oauth", oauthError: "invalid_client" }), Code.FailedPrecondition, "ZOHO_NOT_AUTHORISED", undefined],
    ["a 401 after a refresh", zoho({ httpStatus: 401, zohoCode: 57 }), Code.FailedPrecondition, "ZOHO_NOT_AUTHORISED", undefined],
    ["code 57 on a 200", zoho({ httpStatus: 200, zohoCode: 57 }), Code.FailedPrecondition, "ZOHO_NOT_AUTHORISED", undefined],
    ["an unreadable answer", zoho({ kind: "unexpected-response" }), Code.FailedPrecondition, "ZOHO_UNEXPECTED_RESPONSE", undefined],
    ["a 400", zoho({ httpStatus: 400, zohoCode: 2 }), Code.FailedPrecondition, "ZOHO_REJECTED", undefined],
  ])("%s", (_what, err, code, reason, retryDelayMs) => {
    const failure = classifyFailure(err);
    expect(failure).toMatchObject({ code, reason });
    expect(failure?.retryDelayMs).toBe(retryDelayMs);
  });

  it("leaves anything else alone", () => {
    expect(classifyFailure(new Error("database down"))).toBeUndefined();
    expect(zohoErrorToConnect(new Error("database down"))).toBeUndefined();
  });
});

describe("zohoErrorToConnect", () => {
  it("carries the reason, RetryInfo when there is a delay, and the message", () => {
    const exhausted = zohoErrorToConnect(new BudgetExhaustedError(1_500))!;
    expect(exhausted).toBeInstanceOf(ConnectError);
    expect(exhausted.code).toBe(Code.ResourceExhausted);
    expect(reasonOf(exhausted)).toBe("ZOHO_BUDGET_EXHAUSTED");
    expect(exhausted.findDetails(RetryInfoSchema)[0]?.retryDelayMs).toBe(1_500n);

    const rejected = zohoErrorToConnect(zoho({ httpStatus: 400, zohoCode: 1001, message: "Zoho createSalesOrder failed with HTTP 400 (code 1001: Invalid value passed for customer_id)" }))!;
    expect(rejected.code).toBe(Code.FailedPrecondition);
    expect(rejected.rawMessage).toBe("Zoho rejected the order: Zoho createSalesOrder failed with HTTP 400 (code 1001: Invalid value passed for customer_id)");
    expect(rejected.findDetails(ErrorReasonSchema)[0]).toMatchObject({ reason: "ZOHO_REJECTED" });
    expect(rejected.findDetails(RetryInfoSchema)).toEqual([]);
  });
});

describe("the manual licence queue's answers", () => {
  const at = new Date("2027-01-01T10:00:00Z");

  it("a licence waiting for an operator is UNAVAILABLE LICENCE_PENDING_MANUAL with when it began: never INTERNAL", () => {
    const err = zohoErrorToConnect(new LicencePendingManual("T2M1", at))!;
    expect(err.code).toBe(Code.Unavailable);
    expect(reasonOf(err)).toBe("LICENCE_PENDING_MANUAL");
    const [detail] = err.findDetails(LicencePendingManualSchema);
    expect(detail?.orderId).toBe("T2M1");
    expect(timestampDate(detail!.waitingSince!)).toEqual(at);
  });

  it("an operator's refusal is FAILED_PRECONDITION LICENCE_TASK_FAILED carrying the operator's reason", () => {
    const err = zohoErrorToConnect(new LicenceTaskFailed("T2M1", "no seat left", at))!;
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(reasonOf(err)).toBe("LICENCE_TASK_FAILED");
    expect(err.findDetails(LicenceTaskFailedSchema)[0]).toMatchObject({ orderId: "T2M1", reason: "no seat left" });
  });
});
