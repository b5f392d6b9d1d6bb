// The platform's EventBus against a real nats-server with JetStream:
// de-duplication, ack / nak / term, redelivery after a throw, trace context
// carried through NATS headers, fetching only what the handlers can take
// (with heartbeats for what they hold), consumer state, and KV buckets.
import { context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { startServers, type Servers } from "@t2m/devstack";
import {
  ack,
  createLogger,
  createMetrics,
  decodeIf,
  EventBus,
  nak,
  term,
  type ConsumerDefinition,
  type Disposition,
  type ReceivedMessage,
  type StreamDefinition,
} from "@t2m/platform";
import { startTelemetry } from "@t2m/platform/telemetry";
import { OrderEvents } from "@t2m/topology";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const spans = new InMemorySpanExporter();
const sdk = startTelemetry({ serviceName: "event-bus-test", spanProcessors: [new SimpleSpanProcessor({ exporter: spans })], env: {} });

// The test's own topology: the EventBus is generic.
const stream: StreamDefinition = { name: "TEST", subjects: ["orders.>"], maxAgeMs: 60 * 60 * 1000, duplicateWindowMs: 60_000 };
const consumerFor = (name: string, filterSubject: string): ConsumerDefinition => ({ stream: stream.name, durableName: name, filterSubject });
const submittedConsumer = consumerFor("test-submitted", OrderEvents.submitted.subject);
const outcomeConsumer = consumerFor("test-outcomes", "orders.outcome.>");
const retryConsumer = consumerFor("test-retries", OrderEvents.retryDue.subject);

let server: Servers;
let bus: EventBus;
const metrics = createMetrics("event-bus-test");
const ACK_WAIT_MS = 2_000;
const retryImmediately = { concurrency: 4, errorDelayMs: () => 100 };

beforeAll(async () => {
  // NATS 2.11 in a container where Docker answers, else nats-server here.
  server = await startServers({ want: { mongodb: false } });
  bus = await EventBus.connect({ url: server.natsUrl, credentials: server.natsAdmin, name: "test", logger: createLogger("test", "silent"), metrics, ackWaitMs: ACK_WAIT_MS });
  await bus.declare({ streams: [stream], consumers: [submittedConsumer, outcomeConsumer, retryConsumer] });
});

afterAll(async () => {
  await bus?.close();
  await server?.stop();
  await sdk.shutdown();
});

/** Collects what a consumer sees until `done` says so. */
async function consumeUntil(
  definition: ConsumerDefinition,
  decide: (m: ReceivedMessage, seen: ReceivedMessage[]) => Disposition,
  done: (seen: ReceivedMessage[]) => boolean,
  timeoutMs = 10_000,
): Promise<ReceivedMessage[]> {
  const seen: ReceivedMessage[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const consumer = await bus.consume(
    definition,
    async (m) => {
      seen.push(m);
      const disposition = decide(m, seen);
      if (done(seen)) finish();
      return disposition;
    },
    retryImmediately,
  );
  const timer = setTimeout(finish, timeoutMs);
  await finished;
  clearTimeout(timer);
  await consumer.stop();
  return seen;
}

describe("EventBus", () => {
  it("drops a re-published event with the same id", async () => {
    const first = await bus.publish(OrderEvents.submitted, { orderId: "DEDUPE-1" }, { messageId: "submitted:DEDUPE-1" });
    const second = await bus.publish(OrderEvents.submitted, { orderId: "DEDUPE-1" }, { messageId: "submitted:DEDUPE-1" });
    expect(first.duplicate).toBe(false);
    expect(second).toEqual({ duplicate: true, sequence: first.sequence });

    const seen = await consumeUntil(submittedConsumer, () => ack(), () => false, 1_500);
    const decoded = seen.map((m) => decodeIf(OrderEvents.submitted, m)?.orderId);
    expect(decoded.filter((id) => id === "DEDUPE-1")).toHaveLength(1);
    expect(seen[0]).toMatchObject({ messageId: "submitted:DEDUPE-1", streamSequence: first.sequence });
    expect(seen[0]!.publishedAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it("redelivers after nak with the delivery count, and stops after term", async () => {
    await bus.publish(OrderEvents.fulfilled, { orderId: "NAK-1" }, { messageId: "NAK-1" });
    await bus.publish(OrderEvents.failed, { orderId: "TERM-1", reason: "x" }, { messageId: "TERM-1" });
    const seen = await consumeUntil(
      outcomeConsumer,
      (m) => {
        const fulfilled = decodeIf(OrderEvents.fulfilled, m);
        if (fulfilled) return m.deliveryCount === 1 ? nak(200) : ack();
        return term("test");
      },
      (s) => s.filter((m) => m.subject === OrderEvents.fulfilled.subject).length >= 2,
    );
    const nakked = seen.filter((m) => m.subject === OrderEvents.fulfilled.subject);
    expect(nakked.map((m) => m.deliveryCount)).toEqual([1, 2]);
    expect(seen.filter((m) => m.subject === OrderEvents.failed.subject)).toHaveLength(1);
  });

  it("redelivers when the handler throws", async () => {
    await bus.publish(OrderEvents.fulfilled, { orderId: "THROW-1" }, { messageId: "THROW-1" });
    let thrown = false;
    const seen: number[] = [];
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    const consumer = await bus.consume(
      outcomeConsumer,
      async (m) => {
        if (decodeIf(OrderEvents.fulfilled, m)?.orderId !== "THROW-1") return ack();
        seen.push(m.deliveryCount);
        if (!thrown) {
          thrown = true;
          throw new Error("boom");
        }
        finish();
        return ack();
      },
      retryImmediately,
    );
    await Promise.race([finished, new Promise((r) => setTimeout(r, 10_000))]);
    await consumer.stop();
    expect(seen).toEqual([1, 2]);
  });

  it("continues the publisher's trace in the consumer", async () => {
    spans.reset();
    const tracer = trace.getTracer("test");
    const parent = tracer.startSpan("place order");
    await context.with(trace.setSpan(context.active(), parent), () =>
      bus.publish(OrderEvents.submitted, { orderId: "TRACE-1" }, { messageId: "submitted:TRACE-1" }),
    );
    parent.end();
    await consumeUntil(
      submittedConsumer,
      () => ack(),
      (s) => s.some((m) => decodeIf(OrderEvents.submitted, m)?.orderId === "TRACE-1"),
    );
    const finished = spans.getFinishedSpans();
    const traceId = parent.spanContext().traceId;
    const publish = finished.find((s) => s.name === "orders.submitted publish" && s.spanContext().traceId === traceId);
    const processed = finished.find((s) => s.name === "orders.submitted process" && s.spanContext().traceId === traceId);
    expect(publish).toBeDefined();
    expect(processed).toBeDefined();
    expect(processed!.parentSpanContext?.spanId).toBe(publish!.spanContext().spanId);
  });

  it("takes only as many messages as it has handlers, and keeps held ones alive past the ack wait", async () => {
    for (let i = 1; i <= 6; i++) await bus.publish(OrderEvents.retryDue, { orderId: `HOLD-${i}` }, { messageId: `HOLD-${i}` });
    const started: Array<{ orderId: string; deliveryCount: number }> = [];
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const consumer = await bus.consume(
      retryConsumer,
      async (m) => {
        started.push({ orderId: decodeIf(OrderEvents.retryDue, m)!.orderId, deliveryCount: m.deliveryCount });
        await released;
        return ack();
      },
      { concurrency: 2, errorDelayMs: () => 100 },
    );
    // Held for twice the ack wait: heartbeats keep both, and nothing else is fetched.
    await new Promise((r) => setTimeout(r, ACK_WAIT_MS * 2));
    const state = await bus.consumerState(retryConsumer);
    expect(started.map((s) => s.orderId)).toEqual(["HOLD-1", "HOLD-2"]);
    expect(state).toMatchObject({ pending: 4, ackPending: 2 });
    expect(state.oldestUndeliveredAt).toBeInstanceOf(Date);
    release();
    await waitUntil(() => started.length === 6);
    await consumer.stop();
    expect(started.every((s) => s.deliveryCount === 1)).toBe(true);
    expect(await bus.consumerState(retryConsumer)).toMatchObject({ pending: 0, ackPending: 0, oldestUndeliveredAt: undefined });
  });

  it("opens KV buckets with atomic create and compare-and-set update", async () => {
    const kv = await bus.kv("test_bucket");
    const revision = await kv.create("a", "1");
    await expect(kv.create("a", "2")).rejects.toThrow();
    await kv.update("a", "3", revision);
    await expect(kv.update("a", "4", revision)).rejects.toThrow();
    expect((await kv.get("a"))?.string()).toBe("3");
  });

  it("reports readiness, and counts what it published", async () => {
    await expect(bus.readiness().check()).resolves.toBeUndefined();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/t2m_events_published_total\{subject="orders.submitted",duplicate="true"/);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}
