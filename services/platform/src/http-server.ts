import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { discardLogs } from "./logging.js";
import type { Registry } from "prom-client";

/** A dependency the process needs to do useful work, e.g. MongoDB. */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when the dependency answers; rejects (or times out) otherwise. */
  check(): Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, "ok" | string>;
}

const CHECK_TIMEOUT_MS = 2_000;

/** Runs every check concurrently, each bounded by a timeout. */
export async function checkReadiness(checks: readonly ReadinessCheck[]): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        await Promise.race([
          c.check(),
          new Promise((_, reject) => setTimeout(() => reject(new Error("timed out")), CHECK_TIMEOUT_MS).unref()),
        ]);
        return [c.name, "ok"] as const;
      } catch (err) {
        return [c.name, err instanceof Error ? err.message : String(err)] as const;
      }
    }),
  );
  return { ready: results.every(([, r]) => r === "ok"), checks: Object.fromEntries(results) };
}

export interface OpsOptions {
  readonly registry: Registry;
  readonly readiness: readonly ReadinessCheck[];
  /**
   * The problem+json body for a request Node's HTTP parser refuses before
   * any handler sees it (a malformed request line or header: 400; headers
   * too large: 431). Without it Node answers with an empty body.
   */
  readonly clientErrorProblem?: (status: 400 | 431) => object;
}

/**
 * Serves /healthz (the process is alive), /readyz (its dependencies answer)
 * and /metrics (Prometheus) in front of the application's own handler.
 */
export function createHttpServer(app: RequestListener, ops: OpsOptions): Server {
  const server = createServer((req, res) => {
    const path = req.url?.split("?", 1)[0];
    if (req.method === "GET" && path === "/healthz") return void sendJson(res, 200, { status: "ok" });
    if (req.method === "GET" && path === "/readyz") {
      return void checkReadiness(ops.readiness).then((report) => sendJson(res, report.ready ? 200 : 503, report));
    }
    if (req.method === "GET" && path === "/metrics") {
      return void ops.registry.metrics().then(
        (body) => {
          res.writeHead(200, { "content-type": ops.registry.contentType });
          res.end(body);
        },
        () => sendJson(res, 500, { error: "metrics unavailable" }),
      );
    }
    app(req, res);
  });
  if (ops.clientErrorProblem) {
    const problem = ops.clientErrorProblem;
    server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable || (err as { code?: string }).code === "ECONNRESET") return void socket.destroy();
      const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
      const body = JSON.stringify(problem(status));
      const reason = status === 431 ? "Request Header Fields Too Large" : "Bad Request";
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
  }
  // Slow or idle clients must not hold sockets (and shutdown) forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Listens and resolves with the base URL, the real port included. */
export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}

/** Stops accepting connections and waits for in-flight requests. */
export async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

export interface ShutdownStep {
  readonly name: string;
  run(): Promise<void>;
}

export interface ExitOnSignalOptions {
  /**
   * Also shut down, the same way, when stdin ends: the devstack gives each
   * child a pipe it never writes to, which the kernel closes when the devstack
   * dies, even by SIGKILL. Opt-in (T2M_EXIT_WITH_PARENT=1), because stdin is
   * /dev/null or closed in a container, where this would stop the process at once.
   */
  readonly exitWithParent?: boolean;
  /** Where stdin is read from; process.stdin by default (tests pass a stream). */
  readonly stdin?: NodeJS.ReadableStream;
}

/** True when the environment asks a process to exit once its stdin ends (T2M_EXIT_WITH_PARENT=1). */
export const exitWithParentRequested = (env: Record<string, string | undefined> = process.env): boolean =>
  env.T2M_EXIT_WITH_PARENT === "1" || env.T2M_EXIT_WITH_PARENT === "true";

/**
 * Runs the steps in order on SIGTERM or SIGINT (or when stdin ends, if asked),
 * then exits. A step that fails or a shutdown that exceeds the timeout is
 * logged and the process exits 1, so an orchestrator never waits on a hung
 * process.
 */
export function exitOnSignal(
  logger: Logger,
  steps: () => readonly ShutdownStep[],
  timeoutMs: number,
  options: ExitOnSignalOptions = {},
): void {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals | "parent-gone") => {
    if (stopping) return;
    stopping = true;
    // With the parent gone, so is whoever read stdout: nothing logged from here can be seen, or flushed at exit.
    if (signal === "parent-gone") discardLogs();
    else logger.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, "shutdown timed out");
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    let failed = false;
    for (const step of steps()) {
      try {
        await step.run();
      } catch (err) {
        failed = true;
        logger.error({ err, step: step.name }, "shutdown step failed");
      }
    }
    logger.info("stopped");
    process.exit(failed ? 1 : 0);
  };
  process.once("SIGTERM", (s) => void stop(s));
  process.once("SIGINT", (s) => void stop(s));
  if (options.exitWithParent) {
    const stdin = options.stdin ?? process.stdin;
    const gone = () => void stop("parent-gone");
    stdin.once("end", gone);
    stdin.once("close", gone);
    stdin.once("error", gone);
    // Read (and drop) whatever arrives, so that "end" is seen.
    stdin.on("data", () => undefined);
    stdin.resume();
  }
}

export type { IncomingMessage, RequestListener, Server, ServerResponse };
