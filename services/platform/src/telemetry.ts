import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { MongoDBInstrumentation } from "@opentelemetry/instrumentation-mongodb";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { defaultResource, envDetector, detectResources, resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace";

export interface TelemetryOptions {
  readonly serviceName: string;
  /** Processors to use instead of the OTLP exporter, e.g. an in-memory one in tests. */
  readonly spanProcessors?: SpanProcessor[];
  readonly env?: Record<string, string | undefined>;
}

export interface Telemetry {
  shutdown(): Promise<void>;
}

/** The standard OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, with parent-based always-on as the default. */
export function samplerFromEnv(env: Record<string, string | undefined>): Sampler {
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG ?? "1");
  const root = Number.isFinite(ratio) ? new TraceIdRatioBasedSampler(Math.min(1, Math.max(0, ratio))) : new AlwaysOnSampler();
  switch (env.OTEL_TRACES_SAMPLER) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return root;
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** The standard OTEL_BSP_* batching variables. */
function batchOptionsFromEnv(env: Record<string, string | undefined>) {
  const read = (name: string) => {
    const value = Number(env[name]);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const options = {
    scheduledDelayMillis: read("OTEL_BSP_SCHEDULE_DELAY"),
    exportTimeoutMillis: read("OTEL_BSP_EXPORT_TIMEOUT"),
    maxQueueSize: read("OTEL_BSP_MAX_QUEUE_SIZE"),
    maxExportBatchSize: read("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

/**
 * Starts tracing: W3C trace context through incoming HTTP, fetch (undici)
 * and MongoDB; outgoing Connect calls are traced by the platform's RPC client
 * interceptor and NATS by its EventBus. Spans are exported over OTLP/HTTP
 * when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-specific variable) is set,
 * sampled by the standard OTEL_TRACES_SAMPLER variables. Without an exporter
 * spans are not recorded at all, but their ids are still made and passed on,
 * so trace ids appear in logs and cross every hop.
 *
 * Built from the trace SDK's parts rather than @opentelemetry/sdk-node, which
 * loads every exporter (gRPC included) and costs each process tens of MB.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const env = options.env ?? process.env;
  const exporting = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const extra = options.spanProcessors ?? [];
  const spanProcessors = extra.length > 0 ? [...extra] : exporting ? [new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), ...batchOptionsFromEnv(env) })] : [];
  const sampler = spanProcessors.length > 0 ? samplerFromEnv(env) : new AlwaysOffSampler();
  const resource = defaultResource()
    .merge(resourceFromAttributes({ "service.name": options.serviceName }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new TracerProvider({ resource, sampler, spanProcessors });

  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(provider);

  const disable = registerInstrumentations({
    tracerProvider: provider,
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

  return {
    shutdown: async () => {
      disable();
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
