import { isSpanContextValid, trace } from "@opentelemetry/api";
import { pino, type Logger } from "pino";

export type { Logger } from "pino";

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
  });
}
