import { Code, ConnectError, createClient, type Client, type ConnectRouter, type Interceptor, type Transport } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Logger } from "pino";
import { isDependencyUnavailable } from "./dependencies.js";
import { registerGrpcOps } from "./grpc-ops.js";
import { simpleResponse, type Http2RequestListener, type RequestListener } from "./http-server.js";
import type { Metrics } from "./metrics.js";
import { authInterceptor, bearerInterceptor, type RpcAuth } from "./rpc-auth.js";

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

/** A process's RPC services, for runService to serve (see rpcListeners). */
export interface RpcHandler {
  readonly kind: "rpc";
  readonly routes: (router: ConnectRouter) => void;
}

/**
 * The process's Connect services, as start() returns them to runService,
 * which serves them over Connect, gRPC and gRPC-Web on HTTP/1.1 and h2c,
 * beside gRPC health and reflection, behind the service-token check.
 * (logger and metrics are the runtime's; kept in the signature for callers.)
 */
export function connectHandler(routes: (router: ConnectRouter) => void, _logger?: Logger, _metrics?: Metrics): RpcHandler {
  return { kind: "rpc", routes };
}

export const isRpcHandler = (value: unknown): value is RpcHandler =>
  typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "rpc";

export interface RpcListenerOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The process's own services, if any. */
  readonly rpc?: RpcHandler;
  /** Who may call what, and the callers' token digests; "unauthenticated" only in tests that need no tokens. */
  readonly auth: RpcAuth | "unauthenticated";
  /** Whether the process is ready, for grpc.health.v1 (as /readyz). */
  readonly ready: () => Promise<boolean>;
  /** HTTP/1.1 requests that are not RPCs (e.g. the gateway's REST API); 404 otherwise. */
  readonly fallback?: RequestListener;
}

/**
 * The request handlers of a process: every RPC (its own services, health,
 * reflection) over Connect, gRPC and gRPC-Web, on HTTP/1.1 and on HTTP/2.
 * Other HTTP/1.1 requests go to the fallback.
 */
export function rpcListeners(options: RpcListenerOptions): { http1: RequestListener; http2: Http2RequestListener } {
  const services: DescService[] = [];
  const handler = connectNodeAdapter({
    routes: (router) => {
      options.rpc?.routes(router);
      for (const h of router.handlers) if (!services.includes(h.service)) services.push(h.service);
      registerGrpcOps(router, { services, ready: options.ready });
    },
    interceptors: [
      serverInterceptor(options.logger, options.metrics),
      ...(options.auth === "unauthenticated" ? [] : [authInterceptor(options.auth)]),
    ],
    // Connect's own limit is unbounded by default; our messages are small.
    readMaxBytes: 1024 * 1024,
    fallback: (req, res) => {
      if (options.fallback && req.httpVersionMajor === 1) return options.fallback(req as Parameters<RequestListener>[0], res as Parameters<RequestListener>[1]);
      simpleResponse(res).writeHead(404, { "content-type": "application/json" });
      simpleResponse(res).end(JSON.stringify({ error: "not found" }));
    },
  });
  return { http1: handler as RequestListener, http2: handler as Http2RequestListener };
}

export type RpcProtocol = "connect" | "grpc" | "grpc-web";

export interface ServiceClientOptions {
  readonly baseUrl: string;
  readonly metrics: Metrics;
  /**
   * This process's service token, sent on every call; undefined sends none
   * (only for calls that need none: health, reflection, or a test of the refusal).
   */
  readonly token: string | undefined;
  /** Deadline for each call unless the caller sets one. */
  readonly timeoutMs?: number;
  /** "connect" (the default) over HTTP/1.1; "grpc" always over HTTP/2 (h2c); "grpc-web" over HTTP/1.1. */
  readonly protocol?: RpcProtocol;
  /** HTTP/2 for connect or grpc-web (h2c with prior knowledge); gRPC always uses HTTP/2. */
  readonly http2?: boolean;
}

/** The transport a client of the platform uses: its protocol, deadline, tracing and metrics, and its token. */
export function serviceTransport(options: ServiceClientOptions): Transport {
  const interceptors = [clientInterceptor(options.metrics), ...(options.token ? [bearerInterceptor(options.token)] : [])];
  // No compression: calls stay inside the cluster, where gzip costs both ends CPU (1-2% of
  // intake, profiled) to save bandwidth nobody is short of. Connect asks for gzip by default.
  const common = { baseUrl: options.baseUrl, defaultTimeoutMs: options.timeoutMs ?? 10_000, interceptors, acceptCompression: [] };
  switch (options.protocol ?? "connect") {
    case "grpc":
      return createGrpcTransport(common);
    case "grpc-web":
      return createGrpcWebTransport({ ...common, httpVersion: options.http2 ? "2" : "1.1" });
    default:
      return createConnectTransport({ ...common, httpVersion: options.http2 ? "2" : "1.1" });
  }
}

/** A typed client for another of the platform's services. */
export function serviceClient<S extends DescService>(service: S, options: ServiceClientOptions): Client<S> {
  return createClient(service, serviceTransport(options));
}
