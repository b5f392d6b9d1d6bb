import { isSpanContextValid, trace } from "@opentelemetry/api";
import { pino, type Logger } from "pino";

export type { Logger } from "pino";

/**
 * Where every logger writes: stdout, synchronously, shared. pino's default
 * (an asynchronous stream per logger) flushes what it holds at exit with a
 * loop that never ends once stdout's reader is gone (EPIPE), so a process
 * whose parent died could not exit. A synchronous write that meets EPIPE
 * makes the stream drop further lines instead, and nothing is lost on exit.
 */
let stdout: ReturnType<typeof pino.destination> | undefined;

/**
 * JSON logs on stdout, one line per event. Anything that may carry a
 * credential is censored at the source so no call site can leak it.
 */
export function createLogger(service: string, level = "info"): Logger {
  stdout ??= pino.destination({ dest: 1, sync: true });
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
  }, stdout);
}
