import { describe, expect, it } from "vitest";
import { deliverOutcome, type DeliveryAttemptRecord, type DeliveryPorts, type MessageStatus, type SendResult, type WebhookMessage } from "./deliver.js";
import type { OrderOutcome } from "./webhook.js";
import { fulfilledOutcome } from "./outcome.fixtures.js";

const outcome = fulfilledOutcome;

function harness(responses: SendResult[]) {
  const messages = new Map<string, WebhookMessage>();
  const attempts: DeliveryAttemptRecord[] = [];
  const sent: Array<{ id: string; attempt: number; body: string }> = [];
  const ports: DeliveryPorts = {
    register: async (m) => {
      if (!messages.has(m.webhookId)) messages.set(m.webhookId, m);
      return messages.get(m.webhookId)!;
    },
    send: async (m, attempt) => {
      sent.push({ id: m.webhookId, attempt, body: m.payload });
      return responses.shift() ?? { status: 200, durationMs: 1 };
    },
    record: async (attempt, status: MessageStatus) => {
      attempts.push(attempt);
      const m = messages.get(attempt.webhookId)!;
      messages.set(attempt.webhookId, { ...m, status, attempts: attempt.attemptNumber });
    },
    now: () => new Date("2026-11-27T10:00:05Z"),
  };
  return { ports, messages, attempts, sent };
}

describe("deliverOutcome", () => {
  it("delivers once and ignores redeliveries of the same event", async () => {
    const { ports, attempts, sent } = harness([{ status: 204, durationMs: 12 }]);
    expect((await deliverOutcome(outcome, [1000], ports)).kind).toBe("delivered");
    expect((await deliverOutcome(outcome, [1000], ports)).kind).toBe("already-finished");
    expect(sent).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ attemptNumber: 1, httpStatus: 204, succeeded: true, error: null, nextRetryAt: null });
  });

  it("retries with the same id and body, logging each attempt with its next retry time", async () => {
    const { ports, attempts, sent, messages } = harness([
      { status: 500, durationMs: 5, error: "HTTP 500" },
      { durationMs: 15_000, error: "timed out after 15000 ms" },
      { status: 200, durationMs: 3 },
    ]);
    const schedule = [1_000, 2_000];
    expect(await deliverOutcome(outcome, schedule, ports)).toMatchObject({ kind: "retry", delayMs: 1_000 });
    expect(await deliverOutcome(outcome, schedule, ports)).toMatchObject({ kind: "retry", delayMs: 2_000 });
    expect((await deliverOutcome(outcome, schedule, ports)).kind).toBe("delivered");
    expect(new Set(sent.map((s) => s.id)).size).toBe(1);
    expect(new Set(sent.map((s) => s.body)).size).toBe(1);
    expect(attempts.map((a) => [a.attemptNumber, a.httpStatus, a.error])).toEqual([
      [1, 500, "HTTP 500"],
      [2, 0, "timed out after 15000 ms"],
      [3, 200, null],
    ]);
    expect(attempts[0]!.nextRetryAt?.toISOString()).toBe("2026-11-27T10:00:06.000Z");
    expect([...messages.values()][0]!.status).toBe("DELIVERED");
  });

  it("fails the message when the schedule runs out", async () => {
    const { ports, messages } = harness([
      { status: 503, durationMs: 1, error: "HTTP 503" },
      { status: 503, durationMs: 1, error: "HTTP 503" },
    ]);
    await deliverOutcome(outcome, [10], ports);
    expect((await deliverOutcome(outcome, [10], ports)).kind).toBe("gave-up");
    expect([...messages.values()][0]!.status).toBe("FAILED");
    expect((await deliverOutcome(outcome, [10], ports)).kind).toBe("already-finished");
  });
});
