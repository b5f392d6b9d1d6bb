import { Code, ConnectError, createClient, type Client, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Logger } from "pino";
import { isDependencyUnavailable } from "./dependencies.js";
import type { RequestListener } from "./http-server.js";
import type { Metrics } from "./metrics.js";

/** Codes that mean the caller did something wrong, not that we failed. */
const CALLER_CODES = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.FailedPrecondition,
  Code.Unauthenticated,
  Code.PermissionDenied,
  Code.Canceled,
]);

/**
 * Codes that ask the caller to come back later by design (a spent shared
 * quota, an outcome not settled yet): flow control, not failures, so they
 * are logged at info like a caller's mistake rather than as errors.
 */
const DEFERRING_CODES = new Set([Code.ResourceExhausted, Code.Aborted]);

function codeName(code: Code | undefined): string {
  return code === undefined ? "ok" : Code[code];
}

/**
 * Times and logs every RPC. An unreachable NATS or MongoDB becomes
 * UNAVAILABLE (retry later); any other unexpected error becomes INTERNAL.
 * Neither carries the original message, so internals (and any secret in
 * them) never reach a caller.
 */
function serverInterceptor(logger: Logger, metrics: Metrics): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const labels = { rpc_service: req.service.typeName, method: req.method.name };
    try {
      const res = await next(req);
      metrics.rpcServerDuration.observe({ ...labels, code: "ok" }, (performance.now() - started) / 1000);
      return res;
    } catch (err) {
      const known = err instanceof ConnectError;
      const error = known
        ? err
        : isDependencyUnavailable(err)
          ? new ConnectError("a dependency is unavailable; retry later", Code.Unavailable)
          : new ConnectError("internal error", Code.Internal);
      metrics.rpcServerDuration.observe({ ...labels, code: codeName(error.code) }, (performance.now() - started) / 1000);
      const fields = { rpc: `${labels.rpc_service}/${labels.method}`, code: codeName(error.code) };
      if (known && CALLER_CODES.has(err.code)) logger.info({ ...fields, reason: err.rawMessage }, "rpc rejected");
      else if (known && DEFERRING_CODES.has(err.code)) logger.info({ ...fields, reason: err.rawMessage }, "rpc deferred");
      else logger.error({ ...fields, err }, "rpc failed");
      throw error;
    }
  };
}

const tracer = trace.getTracer("@t2m/platform/rpc");

/**
 * Times every outgoing RPC and carries the trace to the callee. The span and
 * the traceparent header are set here rather than left to the HTTP
 * auto-instrumentation, which misses connect-node's requests whenever a
 * CommonJS dependency (mongodb, prom-client) loaded node:http first.
 */
function clientInterceptor(metrics: Metrics): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const labels = { rpc_service: req.service.typeName, method: req.method.name };
    return tracer.startActiveSpan(
      `${req.service.typeName}/${req.method.name}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { "rpc.system": "connect_rpc", "rpc.service": req.service.typeName, "rpc.method": req.method.name },
      },
      async (span) => {
        propagation.inject(context.active(), req.header, { set: (headers, key, value) => headers.set(key, value) });
        try {
          const res = await next(req);
          metrics.rpcClientDuration.observe({ ...labels, code: "ok" }, (performance.now() - started) / 1000);
          return res;
        } catch (err) {
          const code = err instanceof ConnectError ? codeName(err.code) : "unknown";
          metrics.rpcClientDuration.observe({ ...labels, code }, (performance.now() - started) / 1000);
          span.setAttribute("rpc.connect_rpc.error_code", code);
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw err;
        } finally {
          span.end();
        }
      },
    );
  };
}

/** The HTTP handler serving a process's Connect services. */
export function connectHandler(routes: (router: ConnectRouter) => void, logger: Logger, metrics: Metrics): RequestListener {
  return connectNodeAdapter({
    routes,
    interceptors: [serverInterceptor(logger, metrics)],
    // Connect's own limit is unbounded by default; our messages are small.
    readMaxBytes: 1024 * 1024,
  }) as RequestListener;
}

export interface ServiceClientOptions {
  readonly baseUrl: string;
  readonly metrics: Metrics;
  /** Deadline for each call unless the caller sets one. */
  readonly timeoutMs?: number;
}

/** A typed Connect client for another of the platform's services. */
export function serviceClient<S extends DescService>(service: S, options: ServiceClientOptions): Client<S> {
  const transport = createConnectTransport({
    baseUrl: options.baseUrl,
    httpVersion: "1.1",
    defaultTimeoutMs: options.timeoutMs ?? 10_000,
    interceptors: [clientInterceptor(options.metrics)],
  });
  return createClient(service, transport);
}
