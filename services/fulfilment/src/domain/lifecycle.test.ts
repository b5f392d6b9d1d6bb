import { describe, expect, it } from "vitest";
import { canMove, fail, fulfil, InvalidTransition, isTerminal, ORDER_STATUSES, scheduleRetry, startAttempt } from "./lifecycle.js";
import { sampleOrder } from "./order.fixtures.js";

const t0 = new Date("2026-11-27T10:00:00Z");
const at = (s: number) => new Date(t0.getTime() + s * 1000);
const salesOrder = { zohoSalesOrderId: "SO-1", zohoSalesOrderNumber: "T2M1", zohoCustomerId: "CU-1" };
const licence = { activationReference: "ACT-1", expiryDate: new Date("2027-11-27T10:00:00Z") };

describe("order lifecycle", () => {
  it("allows only forward moves, and none out of a final status", () => {
    const moves = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.filter((to) => canMove(from, to)).map((to) => `${from}->${to}`));
    expect(moves).toEqual(["PENDING->PROCESSING", "PENDING->FAILED", "PROCESSING->PROCESSING", "PROCESSING->FULFILLED", "PROCESSING->FAILED"]);
    expect(ORDER_STATUSES.filter(isTerminal)).toEqual(["FULFILLED", "FAILED"]);
  });

  it("runs an attempt to FULFILLED, clearing the attempt's lease and retry fields", () => {
    const started = startAttempt(sampleOrder(), 1, at(1), at(46));
    expect(started).toMatchObject({ status: "PROCESSING", attempts: 1, leaseUntil: at(46), updatedAt: at(1) });
    const retrying = scheduleRetry(started, at(10), "sales-order: UNAVAILABLE", at(2));
    expect(retrying).toMatchObject({ status: "PROCESSING", nextAttemptAt: at(10), lastError: "sales-order: UNAVAILABLE" });
    expect(retrying.leaseUntil).toBeUndefined();
    const second = startAttempt(retrying, 2, at(10), at(55));
    expect(second.nextAttemptAt).toBeUndefined();
    const done = fulfil(second, salesOrder, licence, at(11));
    expect(done).toMatchObject({ status: "FULFILLED", attempts: 2, ...salesOrder, ...licence, fulfilledAt: at(11) });
    expect(done).not.toHaveProperty("leaseUntil");
    expect(done).not.toHaveProperty("lastError");
  });

  it("refuses to reopen or re-finish a finished order", () => {
    const done = fulfil(startAttempt(sampleOrder(), 1, at(1), at(46)), salesOrder, licence, at(2));
    expect(() => startAttempt(done, 2, at(3), at(48))).toThrow(InvalidTransition);
    expect(() => fail(done, { code: "TIMED_OUT", detail: "late" }, at(3))).toThrow(/cannot move from FULFILLED to FAILED/);
    expect(() => fulfil(sampleOrder(), salesOrder, licence, at(3))).toThrow(/PENDING to FULFILLED/);
  });

  it("never starts an attempt number twice", () => {
    const started = startAttempt(sampleOrder(), 1, at(1), at(46));
    expect(() => startAttempt(started, 1, at(2), at(47))).toThrow(/already had attempt 1/);
  });

  it("fails with a public code, internal detail and what became of the sales order", () => {
    const failed = fail(startAttempt(sampleOrder(), 1, at(1), at(46)), { code: "ORDER_REJECTED", detail: "Zoho 400 code 1001", salesOrderDisposition: "VOIDED" }, at(2));
    expect(failed).toMatchObject({ status: "FAILED", failureCode: "ORDER_REJECTED", failureDetail: "Zoho 400 code 1001", salesOrderDisposition: "VOIDED", failedAt: at(2) });
  });
});
