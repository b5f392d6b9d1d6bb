import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { MongoDBInstrumentation } from "@opentelemetry/instrumentation-mongodb";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace";

export interface TelemetryOptions {
  readonly serviceName: string;
  /** Extra processors, e.g. an in-memory exporter in tests. */
  readonly spanProcessors?: SpanProcessor[];
  readonly env?: Record<string, string | undefined>;
}

/**
 * Starts the OpenTelemetry SDK: W3C trace context through HTTP (Connect
 * calls included) and MongoDB; NATS is covered by the platform's EventBus.
 * Spans are exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or the
 * traces-specific variable) is set; otherwise trace ids still propagate and
 * appear in logs, but nothing is sent anywhere.
 */
export function startTelemetry(options: TelemetryOptions): NodeSDK {
  const env = options.env ?? process.env;
  const endpointConfigured = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const spanProcessors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (endpointConfigured) spanProcessors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }));
  // NodeSDK registers no tracer provider without a processor; with none, spans
  // would have no ids and incoming trace context would not be continued.
  if (spanProcessors.length === 0) spanProcessors.push(new NoopSpanProcessor());
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? options.serviceName,
    spanProcessors,
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes are noise in traces.
        ignoreIncomingRequestHook: (req) => ["/healthz", "/readyz", "/metrics"].includes(req.url?.split("?", 1)[0] ?? ""),
      }),
      new MongoDBInstrumentation(),
    ],
  });
  sdk.start();
  return sdk;
}
