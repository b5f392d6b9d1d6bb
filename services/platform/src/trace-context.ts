import { context, propagation, ROOT_CONTEXT, SpanStatusCode, trace, type Context, type SpanOptions } from "@opentelemetry/api";

/**
 * Trace context as a plain map, for items that travel in a batch: the batch's
 * call belongs to one trace, so each item carries its own (W3C traceparent,
 * tracestate) and the receiver continues it per item.
 */
export function currentTraceContext(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** Runs `work` in a span continuing the item's own trace (or the current one when it carries none). */
export function withItemTrace<T>(carrier: Record<string, string>, name: string, options: SpanOptions, work: () => Promise<T>): Promise<T> {
  const parent: Context = Object.keys(carrier).length > 0 ? propagation.extract(ROOT_CONTEXT, carrier) : context.active();
  return trace.getTracer("@t2m/platform/batch").startActiveSpan(name, options, parent, async (span) => {
    try {
      return await work();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}
