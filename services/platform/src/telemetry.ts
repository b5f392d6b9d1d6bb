import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { MongoDBInstrumentation } from "@opentelemetry/instrumentation-mongodb";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { AlwaysOffSampler, NoopSpanProcessor, type Sampler, type SpanProcessor } from "@opentelemetry/sdk-trace";

export interface TelemetryOptions {
  readonly serviceName: string;
  /** Processors to use instead of the OTLP exporter, e.g. an in-memory one in tests. */
  readonly spanProcessors?: SpanProcessor[];
  readonly env?: Record<string, string | undefined>;
}

/**
 * Starts the OpenTelemetry SDK: W3C trace context through incoming HTTP,
 * fetch (undici) and MongoDB. Outgoing Connect calls are traced by the
 * platform's RPC client interceptor and NATS by its EventBus.
 * Spans are exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or the
 * traces-specific variable) is set; otherwise trace ids still propagate and
 * appear in logs, but nothing is sent anywhere.
 */
export function startTelemetry(options: TelemetryOptions): NodeSDK {
  const env = options.env ?? process.env;
  const endpointConfigured = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const extra = options.spanProcessors ?? [];
  // Given an exporter, NodeSDK batches with the standard OTEL_BSP_* settings.
  // Without one it registers no tracer provider at all, so spans would have
  // no ids and incoming trace context would not be continued: a no-op
  // processor keeps propagation (and trace ids in logs) working.
  // With nothing to export to, spans are not recorded at all (ids are still
  // made and propagated), so tracing costs next to nothing per request.
  const tracing: { traceExporter?: OTLPTraceExporter; spanProcessors?: SpanProcessor[]; sampler?: Sampler } =
    endpointConfigured && extra.length === 0
      ? { traceExporter: new OTLPTraceExporter() }
      : extra.length > 0
        ? { spanProcessors: [...extra] }
        : { spanProcessors: [new NoopSpanProcessor()], sampler: new AlwaysOffSampler() };
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? options.serviceName,
    ...tracing,
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes are noise in traces.
        ignoreIncomingRequestHook: (req) => ["/healthz", "/readyz", "/metrics"].includes(req.url?.split("?", 1)[0] ?? ""),
      }),
      // The command's name only: query text would cost CPU on every batch and could carry customer data.
      new MongoDBInstrumentation({ dbStatementSerializer: (command) => Object.keys(command)[0] ?? "" }),
      // fetch: the calls to Zoho and the webhooks to T2Mobile.
      new UndiciInstrumentation(),
    ],
  });
  sdk.start();
  return sdk;
}
