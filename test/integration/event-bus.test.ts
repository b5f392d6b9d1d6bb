// The platform's EventBus against a real nats-server with JetStream:
// de-duplication, ack / nak-with-delay / term, and trace context carried
// from publisher to consumer through NATS headers.
import { context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { startNatsServer, type NatsServer } from "@t2m/devstack";
import {
  ack,
  Consumers,
  createLogger,
  createMetrics,
  decodeIf,
  EventBus,
  nak,
  OrderEvents,
  term,
  type Disposition,
  type ReceivedMessage,
} from "@t2m/platform";
import { startTelemetry } from "@t2m/platform/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const spans = new InMemorySpanExporter();
const sdk = startTelemetry({ serviceName: "event-bus-test", spanProcessors: [new SimpleSpanProcessor({ exporter: spans })], env: {} });

let server: NatsServer;
let bus: EventBus;
const metrics = createMetrics("event-bus-test");

beforeAll(async () => {
  server = await startNatsServer();
  bus = await EventBus.connect({ url: server.url, name: "test", logger: createLogger("test", "silent"), metrics, ackWaitMs: 2_000 });
  await bus.declare([Consumers.fulfilmentOrders, Consumers.notificationOutcomes]);
});

afterAll(async () => {
  await bus?.close();
  await server?.stop();
  await sdk.shutdown();
});

/** Collects what a consumer sees until `done` says so. */
async function consumeUntil(
  definition: (typeof Consumers)[keyof typeof Consumers],
  decide: (m: ReceivedMessage, seen: ReceivedMessage[]) => Disposition,
  done: (seen: ReceivedMessage[]) => boolean,
  timeoutMs = 10_000,
): Promise<ReceivedMessage[]> {
  const seen: ReceivedMessage[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const consumer = await bus.consume(definition, async (m) => {
    seen.push(m);
    const disposition = decide(m, seen);
    if (done(seen)) finish();
    return disposition;
  });
  const timer = setTimeout(finish, timeoutMs);
  await finished;
  clearTimeout(timer);
  await consumer.stop();
  return seen;
}

describe("EventBus", () => {
  it("drops a re-published event with the same id", async () => {
    const first = await bus.publish(OrderEvents.submitted, "DEDUPE-1", { orderId: "DEDUPE-1" });
    const second = await bus.publish(OrderEvents.submitted, "DEDUPE-1", { orderId: "DEDUPE-1" });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);

    const seen = await consumeUntil(
      Consumers.fulfilmentOrders,
      () => ack(),
      () => false,
      1_500,
    );
    const decoded = seen.map((m) => decodeIf(OrderEvents.submitted, m)?.orderId);
    expect(decoded.filter((id) => id === "DEDUPE-1")).toHaveLength(1);
    expect(seen[0]?.messageId).toBe("orders.submitted:DEDUPE-1");
  });

  it("redelivers after nak with the delivery count, and stops after term", async () => {
    await bus.publish(OrderEvents.fulfilled, "NAK-1", { orderId: "NAK-1" });
    await bus.publish(OrderEvents.failed, "TERM-1", { orderId: "TERM-1", reason: "x" });
    const seen = await consumeUntil(
      Consumers.notificationOutcomes,
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
    await bus.publish(OrderEvents.fulfilled, "THROW-1", { orderId: "THROW-1" });
    let thrown = false;
    const seen: number[] = [];
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    const consumer = await bus.consume(
      Consumers.notificationOutcomes,
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
      { errorDelayMs: () => 100 },
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
      bus.publish(OrderEvents.submitted, "TRACE-1", { orderId: "TRACE-1" }),
    );
    parent.end();
    await consumeUntil(
      Consumers.fulfilmentOrders,
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

  it("reports readiness, and counts what it published", async () => {
    await expect(bus.readiness().check()).resolves.toBeUndefined();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/t2m_events_published_total\{subject="orders.submitted",duplicate="true"/);
  });
});
