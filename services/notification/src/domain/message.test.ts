import { describe, expect, it } from "vitest";
import { applyRecorded, claimOf, entryOf, recordNotSent, recordSent, displayedOutcome } from "./attempt.js";
import { canMove, dead, InvalidMove, newMessage, replay, startAttempt, type WebhookMessage } from "./message.js";
import { defaultRetrySchedule } from "./retry-policy.js";

const t0 = new Date("2026-11-27T10:00:00Z");
const at = (s: number) => new Date(t0.getTime() + s * 1000);
const fresh = (): WebhookMessage =>
  newMessage({ webhookId: "msg_1", eventType: "ORDER_FULFILLED", orderId: "T2M1", endpointId: "t2mobile", payload: "{}", occurredAt: t0 }, t0);
const schedule = { ...defaultRetrySchedule, jitter: 0, delaysMs: [1_000, 2_000] };
const ok = { status: 200, durationMs: 5, responseBody: "", responseTruncated: false };
const failed = { status: 503, durationMs: 5, error: "HTTP 503", responseBody: "down", responseTruncated: false };

/** Claim, send (with `result`) and record attempt n, as the engine does. */
function attempt(message: WebhookMessage, n: number, result: typeof ok | typeof failed, when: Date) {
  const claim = claimOf(message, n, when, 60_000);
  const { record } = recordSent(claim, startAttempt(message, n, when), result, schedule, when, () => 0.5);
  return { record, message: applyRecorded(message, record) };
}

describe("message lifecycle", () => {
  it("allows only forward moves; a finished delivery never moves again", () => {
    expect(canMove("PENDING", "DELIVERING")).toBe(true);
    expect(canMove("DELIVERING", "RETRYING")).toBe(true);
    expect(canMove("DELIVERED", "PENDING")).toBe(false);
    expect(canMove("DELIVERED", "DELIVERING")).toBe(false);
    expect(canMove("RETRYING", "PENDING")).toBe(false);
    expect(canMove("DEAD", "PENDING")).toBe(true);
    expect(() => startAttempt({ ...fresh(), status: "DELIVERED" }, 1, t0)).toThrow(InvalidMove);
  });

  it("goes PENDING → DELIVERING → RETRYING → DELIVERING → DELIVERED, leaving the working set when delivered", () => {
    let m = fresh();
    expect(entryOf(m)).toMatchObject({ status: "PENDING", nextAttempt: 1, dueAt: t0 });
    const first = attempt(m, 1, failed, at(1));
    m = first.message;
    expect(m).toMatchObject({ status: "RETRYING", attempts: 1, lastError: "HTTP 503", lastHttpStatus: 503 });
    expect(first.record).toMatchObject({ outcome: "FAILED", httpStatus: 503, error: "HTTP 503", responseBody: "down" });
    expect(m.nextAttemptAt?.toISOString()).toBe(new Date(at(1).getTime() + 5 + 1_000).toISOString());
    expect(entryOf(m)).toMatchObject({ status: "RETRYING", nextAttempt: 2, dueAt: m.nextAttemptAt });
    m = attempt(m, 2, ok, at(3)).message;
    expect(m).toMatchObject({ status: "DELIVERED", attempts: 2, deliveredAt: at(3) });
    expect(entryOf(m)).toBeUndefined();
  });

  it("dies when the schedule runs out, stays in the working set as DEAD, and a replay starts a new chain with the same id", () => {
    let m = fresh();
    m = attempt(m, 1, failed, at(1)).message;
    m = attempt(m, 2, failed, at(3)).message;
    m = attempt(m, 3, failed, at(6)).message;
    expect(m).toMatchObject({ status: "DEAD", attempts: 3, deadReason: "no success after 3 attempts" });
    expect(entryOf(m)).toMatchObject({ status: "DEAD", dueAt: null });
    const replayed = replay(m, at(100));
    expect(replayed).toMatchObject({ webhookId: "msg_1", status: "PENDING", replays: 1, chainStart: 4, nextAttemptAt: at(100) });
    // The replay's first attempt is the first of its chain: the schedule starts again.
    const next = attempt(replayed, 4, failed, at(101));
    expect(next.message.status).toBe("RETRYING");
    expect(next.record.replay).toBe(1);
  });

  it("applying a recorded attempt twice changes nothing (a sweep may repeat a stopped holder's bookkeeping)", () => {
    const m = fresh();
    const { record, message } = attempt(m, 1, ok, at(1));
    expect(applyRecorded(message, record)).toEqual(message);
    // From the state before the holder moved the message at all.
    expect(applyRecorded(m, record)).toEqual(message);
  });

  it("records an attempt that was not sent because the endpoint is disabled, and the message dies", () => {
    const m = fresh();
    const record = recordNotSent(claimOf(m, 1, at(1), 60_000), "the endpoint is disabled (410 Gone)", at(1));
    expect(applyRecorded(m, record)).toMatchObject({ status: "DEAD", attempts: 1, deadReason: "the endpoint is disabled (410 Gone)" });
    expect(() => dead({ ...m, status: "DELIVERED" }, "x", at(2))).toThrow(InvalidMove);
  });

  it("shows an unrecorded claim whose lease ran out as abandoned", () => {
    const claim = claimOf(fresh(), 1, t0, 60_000);
    expect(displayedOutcome(claim, at(30))).toBe("IN_FLIGHT");
    expect(displayedOutcome(claim, at(61))).toBe("ABANDONED");
  });
});
