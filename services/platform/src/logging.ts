import { isSpanContextValid, trace } from "@opentelemetry/api";
import { pino, type Logger } from "pino";

export type { Logger } from "pino";

/** Where every logger writes: stdout, through one asynchronous stream shared by all loggers. */
let stdout: ReturnType<typeof pino.destination> | undefined;
const destination = () => (stdout ??= pino.destination({ dest: 1, sync: false }));

/**
 * Drops every further log line. For a process whose stdout has no reader any
 * more (its parent died): pino flushes what it holds at exit in a loop that
 * never ends on EPIPE (sonic-boom 4.2), so the process could not exit.
 */
export function discardLogs(): void {
  const stream = destination() as unknown as { write: (chunk: string) => boolean; flush: () => void; flushSync: () => void; end: () => void };
  stream.write = () => true;
  stream.flush = () => undefined;
  stream.flushSync = () => undefined;
  stream.end = () => undefined;
}

/**
 * JSON logs on stdout, one line per event. Anything that may carry a
 * credential is censored at the source so no call site can leak it.
 */
export function createLogger(service: string, level = "info"): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Every line logged inside a span names its trace, so logs and traces join up.
    mixin() {
      const context = trace.getActiveSpan()?.spanContext();
      return context && isSpanContextValid(context) ? { traceId: context.traceId, spanId: context.spanId } : {};
    },
    redact: {
      paths: [
        "*.authorization",
        "*.Authorization",
        "headers.authorization",
        "req.headers.authorization",
        "*.access_token",
        "*.refresh_token",
        "*.client_secret",
        "*.secret",
        "*.password",
      ],
      censor: "[redacted]",
    },
  }, destination());
}
