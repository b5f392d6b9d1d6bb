import type { Logger } from "pino";
import { ConfigError } from "./config.js";
import {
  checkReadiness,
  closeServer,
  createHttpServer,
  exitOnSignal,
  exitWithParentRequested,
  listen,
  type ReadinessCheck,
  type RequestListener,
  type ShutdownStep,
} from "./http-server.js";
import { createLogger } from "./logging.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { Database } from "./mongo.js";
import { EventBus, type ConsumerDefinition, type NatsCredentials, type StreamDefinition } from "./nats.js";
import { isRpcHandler, rpcListeners, type RpcHandler } from "./rpc.js";
import type { RpcAuth } from "./rpc-auth.js";

/** What a service's start function is given. */
export interface ServiceRuntime {
  readonly name: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Runs on shutdown after HTTP stops and before NATS and MongoDB close; last added runs first. */
  onShutdown(step: ShutdownStep): void;
  addReadiness(check: ReadinessCheck): void;
}

export interface ServiceRuntimeWith<N extends boolean, M extends boolean> extends ServiceRuntime {
  readonly events: N extends true ? EventBus : undefined;
  readonly database: M extends true ? Database : undefined;
}

export interface ServiceOptions<N extends boolean, M extends boolean> {
  readonly name: string;
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
  readonly shutdownTimeoutMs: number;
  /** Connects to NATS and declares these streams and consumers. */
  readonly nats?: N extends true
    ? {
        url: string;
        /** The service's own NATS user (required where the server has accounts, as everywhere the platform runs). */
        credentials?: NatsCredentials;
        ackWaitMs: number;
        streams: readonly StreamDefinition[];
        consumers: readonly ConsumerDefinition[];
      }
    : undefined;
  /** Connects to MongoDB. */
  readonly mongodbUrl?: M extends true ? string : undefined;
  /**
   * Builds the service and returns its RPC services (connectHandler(routes)),
   * served over Connect, gRPC and gRPC-Web on HTTP/1.1 and h2c, or an HTTP/1.1
   * handler (the gateway's REST API). gRPC health and reflection are served
   * either way.
   */
  start(runtime: ServiceRuntimeWith<N, M>): Promise<RequestListener | RpcHandler>;
  /**
   * Who may call the process's RPCs, and its callers' token digests. Required
   * when start() returns RPC services ("unauthenticated" only in tests).
   */
  readonly rpcAuth?: RpcAuth | "unauthenticated";
  /** Install SIGTERM/SIGINT handlers that stop the service and exit (true for processes, false in tests). */
  readonly handleSignals?: boolean;
  /**
   * Whether /readyz requires NATS and MongoDB (default true). A process that
   * can still answer usefully without them (the gateway's 503 problems)
   * should stay in its Service's endpoints.
   */
  readonly readyOnlyWithConnections?: boolean;
  /**
   * With handleSignals: also shut down when stdin ends (the parent died). By
   * default only when T2M_EXIT_WITH_PARENT=1, which the devstack sets for its
   * children; never in a cluster, where stdin is /dev/null.
   */
  readonly exitWithParent?: boolean;
  /** The problem+json body for requests Node's HTTP parser refuses (see OpsOptions.clientErrorProblem). */
  readonly clientErrorProblem?: (status: 400 | 431) => object;
}

export interface RunningService {
  readonly url: string;
  readonly runtime: ServiceRuntime;
  stop(): Promise<void>;
}

/**
 * The one way a process of the platform starts: logger, metrics, NATS and
 * MongoDB connections, the HTTP server with /healthz, /readyz and /metrics,
 * and an orderly shutdown (HTTP, then the service's own steps, then NATS
 * drain, then MongoDB).
 */
export async function runService<N extends boolean = false, M extends boolean = false>(
  options: ServiceOptions<N, M>,
): Promise<RunningService> {
  const logger = createLogger(options.name, options.logLevel);
  const metrics = createMetrics(options.name);
  const readiness: ReadinessCheck[] = [];
  const steps: ShutdownStep[] = [];

  const events = options.nats
    ? await EventBus.connect({
        url: options.nats.url,
        credentials: options.nats.credentials,
        name: options.name,
        logger,
        metrics,
        ackWaitMs: options.nats.ackWaitMs,
      })
    : undefined;
  const gateReadiness = options.readyOnlyWithConnections !== false;
  if (events && options.nats) {
    await events.declare({ streams: options.nats.streams, consumers: options.nats.consumers });
    if (gateReadiness) readiness.push(events.readiness());
  }
  const database = options.mongodbUrl ? await Database.connect(options.mongodbUrl, logger, options.name) : undefined;
  if (database && gateReadiness) readiness.push(database.readiness());

  const runtime = {
    name: options.name,
    logger,
    metrics,
    events,
    database,
    onShutdown: (step: ShutdownStep) => void steps.unshift(step),
    addReadiness: (check: ReadinessCheck) => void readiness.push(check),
  } as ServiceRuntimeWith<N, M>;

  const handler = await options.start(runtime);
  const rpc = isRpcHandler(handler) ? handler : undefined;
  if (rpc && !options.rpcAuth) throw new Error(`${options.name} serves RPCs but was given no rpcAuth: every call must be authenticated`);
  const listeners = rpcListeners({
    logger,
    metrics,
    rpc,
    auth: options.rpcAuth ?? { policy: {}, callers: {} },
    ready: async () => (await checkReadiness(readiness)).ready,
    fallback: rpc ? undefined : (handler as RequestListener),
  });
  const server = createHttpServer(listeners.http1, {
    registry: metrics.registry,
    readiness,
    http2: listeners.http2,
    ...(options.clientErrorProblem ? { clientErrorProblem: options.clientErrorProblem } : {}),
  });
  const url = await listen(server, options.port, options.host);
  logger.info({ url }, `${options.name} listening`);

  const shutdownSteps = (): ShutdownStep[] => [
    { name: "http", run: () => closeServer(server) },
    ...steps,
    ...(events ? [{ name: "nats", run: () => events.close() }] : []),
    ...(database ? [{ name: "mongodb", run: () => database.close() }] : []),
  ];
  if (options.handleSignals !== false) {
    exitOnSignal(logger, shutdownSteps, options.shutdownTimeoutMs, { exitWithParent: options.exitWithParent ?? exitWithParentRequested() });
  }

  return {
    url,
    runtime,
    stop: async () => {
      for (const step of shutdownSteps()) await step.run();
    },
  };
}

/**
 * Runs a process's main function: a configuration error is printed as its
 * plain message (no stack trace), anything else as a fatal log line, and
 * either exits 1.
 */
export function runMain(main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
    } else {
      createLogger("main").fatal({ err }, "failed to start");
    }
    process.exit(1);
  });
}
