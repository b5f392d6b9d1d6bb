import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from "node:http2";
import { Duplex } from "node:stream";
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from "node:net";
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
  /**
   * What answers HTTP/2 (h2c: cleartext with prior knowledge, as gRPC
   * clients inside a cluster speak it). Without it, HTTP/2 requests other
   * than the ops paths get 404.
   */
  readonly http2?: Http2RequestListener;
}

/** A handler for HTTP/2 requests (Node's compatibility API). */
export type Http2RequestListener = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

/** Either kind of request a platform server takes. */
export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

/** What both kinds of response can do, as one type. */
export interface SimpleResponse {
  writeHead(statusCode: number, headers: Record<string, string>): unknown;
  end(chunk?: string): unknown;
}
export const simpleResponse = (res: AnyResponse | object): SimpleResponse => res as unknown as SimpleResponse;

/** The first bytes of every HTTP/2 connection with prior knowledge (RFC 9113 3.4): "PRI * HTTP/2.0…". */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

interface Internals {
  readonly http1: ReturnType<typeof createServer>;
  readonly sessions: Set<Http2Session>;
}
const internals = new WeakMap<Server, Internals>();

/**
 * One port, both protocols: HTTP/1.1 (T2Mobile's REST API, Connect and
 * gRPC-Web from curl and browsers, kubelet's httpGet probes, Prometheus) and
 * HTTP/2 over cleartext (h2c with prior knowledge: gRPC, and Connect or
 * gRPC-Web from HTTP/2 clients). Each connection is told apart by its first
 * bytes (the HTTP/2 preface) and handed to Node's HTTP/1 or HTTP/2 server.
 *
 * Both serve /healthz (the process is alive), /readyz (its dependencies
 * answer) and /metrics (Prometheus) in front of the application's handlers.
 */
export function createHttpServer(app: RequestListener, ops: OpsOptions): Server {
  const opsHandler = (req: AnyRequest, res: AnyResponse): boolean => {
    const path = req.url?.split("?", 1)[0];
    if (req.method !== "GET") return false;
    if (path === "/healthz") {
      sendJson(res, 200, { status: "ok" });
      return true;
    }
    if (path === "/readyz") {
      void checkReadiness(ops.readiness).then((report) => sendJson(res, report.ready ? 200 : 503, report));
      return true;
    }
    if (path === "/metrics") {
      void ops.registry.metrics().then(
        (body) => {
          simpleResponse(res).writeHead(200, { "content-type": ops.registry.contentType });
          simpleResponse(res).end(body);
        },
        () => sendJson(res, 500, { error: "metrics unavailable" }),
      );
      return true;
    }
    return false;
  };
  const http1 = createServer((req, res) => {
    if (!opsHandler(req, res)) app(req, res);
  });
  if (ops.clientErrorProblem) {
    const problem = ops.clientErrorProblem;
    http1.on("clientError", (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable || (err as { code?: string }).code === "ECONNRESET") return void socket.destroy();
      const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
      const body = JSON.stringify(problem(status));
      const reason = status === 431 ? "Request Header Fields Too Large" : "Bad Request";
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
  }
  // Slow or idle clients must not hold sockets (and shutdown) forever.
  http1.requestTimeout = 30_000;
  http1.headersTimeout = 10_000;
  http1.keepAliveTimeout = 5_000;

  const sessions = new Set<Http2Session>();
  const http2 = createHttp2Server({}, (req, res) => {
    if (opsHandler(req, res)) return;
    if (ops.http2) return ops.http2(req, res);
    sendJson(res, 404, { error: "not found" });
  });
  http2.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    // An idle HTTP/2 connection is closed after a while, as HTTP/1.1's keep-alive is.
    session.setTimeout(5 * 60_000, () => session.close());
  });

  const server = createNetServer((socket: Socket) => {
    // Wait for enough bytes to tell the protocols apart, then give the socket,
    // with those bytes put back, to the server that speaks its protocol.
    let seen = Buffer.alloc(0);
    // A connection that says nothing is closed, as HTTP/1.1's header timeout would.
    const silent = () => socket.destroy();
    socket.setTimeout(10_000);
    socket.once("timeout", silent);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, HTTP2_PREFACE.length);
      const isHttp2 = seen.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
      if (isHttp2 && seen.length < HTTP2_PREFACE.length) return;
      socket.off("data", onData);
      socket.off("timeout", silent);
      socket.setTimeout(0);
      if (isHttp2) {
        // Node's HTTP/2 reads a plain socket's native handle, past anything put back
        // into its JS buffer, so it is given a JS stream that starts with these bytes.
        http2.emit("connection", replayingStream(socket, seen));
      } else {
        socket.pause();
        socket.unshift(seen);
        http1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
  });
  // Node's HTTP/1 server tracks its connections (request and header timeouts,
  // closing idle ones on shutdown) from its "listening" event; it never
  // listens itself, so it is told when the shared port does.
  server.on("listening", () => http1.emit("listening"));
  internals.set(server, { http1, sessions });
  return server;
}

/** A duplex over `socket` whose readable side first yields `head` (bytes already read from it). */
function replayingStream(socket: Socket, head: Buffer): Duplex {
  const stream = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, callback) => void socket.write(chunk, callback),
    final: (callback) => {
      socket.end();
      callback();
    },
    destroy: (err, callback) => {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  stream.push(head);
  socket.on("data", (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on("end", () => stream.push(null));
  socket.on("error", (err) => stream.destroy(err));
  socket.on("close", () => stream.destroy());
  return stream;
}

function sendJson(res: AnyResponse, status: number, body: unknown): void {
  simpleResponse(res).writeHead(status, { "content-type": "application/json" });
  simpleResponse(res).end(JSON.stringify(body));
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

/**
 * Stops accepting connections and waits for in-flight requests: idle
 * HTTP/1.1 connections are closed at once, busy ones after their response,
 * and every HTTP/2 connection gets a GOAWAY and closes after its streams.
 */
export async function closeServer(server: Server): Promise<void> {
  const parts = internals.get(server);
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    if (parts) {
      // Not listening itself: close() only stops keep-alive and closes idle connections (its error is expected).
      parts.http1.close(() => undefined);
      parts.http1.closeIdleConnections();
      for (const session of parts.sessions) session.close();
    }
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

export type { Http2ServerRequest, Http2ServerResponse, IncomingMessage, RequestListener, Server, ServerResponse };
