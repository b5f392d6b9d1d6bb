import { Code, ConnectError } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { reasonedError, retryableError } from "@t2m/platform";
import { ErrorReasonSchema } from "@t2m/proto/common/v1/common";
import { LicencePendingManualSchema, LicenceTaskFailedSchema } from "@t2m/proto/provisioning/v1/licence_tasks";
import { describe, expect, it } from "vitest";
import { classifyStepError, StepError } from "./downstream.js";

const at = (step: StepError["step"], err: unknown) => new StepError(step, err);

describe("classifyStepError (provisioning's error contract)", () => {
  it("treats a spent Zoho budget as a wait, with the delay provisioning asked for", () => {
    expect(classifyStepError(at("sales-order", retryableError(Code.ResourceExhausted, "ZOHO_BUDGET", "budget spent", 1_800)))).toEqual({
      kind: "budget",
      retryAfterMs: 1_800,
    });
  });

  it("retries transient failures and unproven Zoho states", () => {
    expect(classifyStepError(at("sales-order", new ConnectError("zoho 503", Code.Unavailable)))).toMatchObject({ kind: "transient" });
    expect(classifyStepError(at("licence", new TypeError("fetch failed")))).toMatchObject({ kind: "transient", detail: "licence: fetch failed" });
    expect(classifyStepError(at("sales-order", reasonedError(Code.Aborted, "ZOHO_RECONCILE_PENDING", "not found yet")))).toMatchObject({ kind: "reconcile" });
    expect(classifyStepError(at("sales-order", retryableError(Code.Unavailable, "ZOHO_UNAVAILABLE", "503", 30_000)))).toMatchObject({ kind: "transient", retryAfterMs: 30_000 });
  });

  it("waits for an operator while the licence is in the manual queue, and fails with the operator's words after a refusal", () => {
    const since = new Date("2027-01-01T10:00:00Z");
    const pending = new ConnectError("waits for an operator", Code.Unavailable, undefined, [
      { desc: ErrorReasonSchema, value: { reason: "LICENCE_PENDING_MANUAL", message: "waits" } },
      { desc: LicencePendingManualSchema, value: { orderId: "T2M1", waitingSince: timestampFromDate(since) } },
    ]);
    expect(classifyStepError(at("licence", pending))).toMatchObject({ kind: "manual", waitingSince: since });
    const refused = new ConnectError("an operator failed it", Code.FailedPrecondition, undefined, [
      { desc: ErrorReasonSchema, value: { reason: "LICENCE_TASK_FAILED", message: "failed" } },
      { desc: LicenceTaskFailedSchema, value: { orderId: "T2M1", reason: "no seat left", failedAt: timestampFromDate(since) } },
    ]);
    expect(classifyStepError(at("licence", refused))).toMatchObject({ kind: "permanent", code: "PROVISIONING_FAILED", partnerReason: "no seat left" });
  });

  it("maps permanent failures to public codes by step and reason", () => {
    expect(classifyStepError(at("sales-order", reasonedError(Code.FailedPrecondition, "ZOHO_ITEM_MISSING", "no item")))).toMatchObject({ kind: "permanent", code: "PRODUCT_UNAVAILABLE" });
    expect(classifyStepError(at("sales-order", reasonedError(Code.InvalidArgument, "ZOHO_REJECTED", "bad email")))).toMatchObject({ kind: "permanent", code: "ORDER_REJECTED" });
    expect(classifyStepError(at("licence", reasonedError(Code.FailedPrecondition, "LICENCE_REFUSED", "no")))).toMatchObject({ kind: "permanent", code: "PROVISIONING_FAILED" });
    expect(classifyStepError(at("sales-order", reasonedError(Code.DataLoss, "INTEGRITY_ERROR", "clash")))).toMatchObject({ kind: "permanent", code: "INTERNAL_ERROR" });
    // A renewal whose subscription was revoked between intake and the licence step.
    expect(classifyStepError(at("licence", reasonedError(Code.FailedPrecondition, "SUBSCRIPTION_REVOKED", "revoked")))).toMatchObject({ kind: "permanent", code: "SUBSCRIPTION_REVOKED" });
  });

  it("holds an order (retries) when the fault is IconTech's Zoho set-up, not the order", () => {
    expect(classifyStepError(at("sales-order", reasonedError(Code.FailedPrecondition, "ZOHO_NOT_AUTHORISED", "code 57")))).toMatchObject({ kind: "transient" });
    expect(classifyStepError(at("sales-order", reasonedError(Code.FailedPrecondition, "ZOHO_UNEXPECTED_RESPONSE", "html")))).toMatchObject({ kind: "transient" });
  });
});
