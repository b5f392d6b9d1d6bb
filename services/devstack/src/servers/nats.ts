import { connect } from "@nats-io/transport-node";
import { mkdtemp, readFile, rm, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ManagedProcess, ProcessError, waitUntilReady, type OutputSink } from "../processes.js";
import { findExecutable, isExecutable } from "./binaries.js";

export const NATS_INSTALL_HINT =
  "Install it with `apt-get install -y nats-server` (Debian/Ubuntu), or `go install github.com/nats-io/nats-server/v2@latest`, " +
  "or point NATS_SERVER_BIN at a nats-server binary.";

/** nats-server: NATS_SERVER_BIN, else `nats-server` on PATH, else /usr/sbin/nats-server (Debian's place). */
export function resolveNatsServerBinary(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env.NATS_SERVER_BIN;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`NATS_SERVER_BIN=${fromEnv} is not an executable file. ${NATS_INSTALL_HINT}`);
    return fromEnv;
  }
  const found = findExecutable("nats-server", env.PATH ?? "", ["/usr/sbin", "/usr/local/sbin", "/usr/local/bin"]);
  if (!found) throw new Error(`nats-server was not found on PATH or in /usr/sbin. ${NATS_INSTALL_HINT}`);
  return found;
}

export interface PortsFile {
  readonly url: string;
  readonly monitorUrl: string;
}

/** Reads nats-server's ports file: {"nats":["nats://127.0.0.1:4222"],"monitoring":["http://127.0.0.1:8222"]}. */
export function parsePortsFile(text: string): PortsFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`nats-server ports file is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const record = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const first = (key: string) => {
    const list = record[key];
    return Array.isArray(list) && typeof list[0] === "string" ? list[0] : undefined;
  };
  const url = first("nats");
  const monitorUrl = first("monitoring");
  if (!url) throw new Error(`nats-server ports file has no "nats" address: ${text.slice(0, 200)}`);
  if (!monitorUrl) throw new Error(`nats-server ports file has no "monitoring" address (start it with -m): ${text.slice(0, 200)}`);
  return { url, monitorUrl };
}

export interface NatsServerOptions {
  /** JetStream storage and the ports file; a temporary directory (removed on stop) when omitted. */
  readonly dataDir?: string;
  /** Client port; -1 (the default) picks a free one. */
  readonly port?: number;
  /** Monitoring port; -1 (the default) picks a free one. */
  readonly monitorPort?: number;
  readonly host?: string;
  /** The binary; see resolveNatsServerBinary() when omitted. */
  readonly bin?: string;
  readonly readyTimeoutMs?: number;
  readonly output?: OutputSink;
  /** Name in output and errors; "nats". */
  readonly name?: string;
  /**
   * nats-server configuration text (e.g. localNatsConfig(): the platform's
   * users and permissions), written beside the data and passed with -c.
   * Without it the server takes anyone.
   */
  readonly config?: string;
}

export interface NatsServer {
  /** nats://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** http://127.0.0.1:<port> (monitoring: /healthz, /varz, /jsz) */
  readonly monitorUrl: string;
  readonly dataDir: string;
  /** The wrapper (`sh`) that runs nats-server and ends it when this process dies; signals go to both. */
  readonly process: ManagedProcess;
  /** nats-server's own pid (a child of `process`). */
  readonly serverPid: number;
  /** SIGINT, then SIGKILL after a timeout; removes a temporary data directory. */
  stop(): Promise<void>;
  /** Starts nats-server again on the same port with the same data (after a crash or stop()). */
  startAgain(options?: { readonly output?: OutputSink }): Promise<NatsServer>;
}

/**
 * nats-server is not ours to teach to watch its stdin, so it runs under this
 * POSIX sh wrapper: it starts nats-server in the background, prints its pid,
 * and a watcher subshell reads the stdin pipe (which this process never
 * writes to) and sends nats-server SIGTERM when it ends, i.e. when the
 * devstack dies, even by SIGKILL. SIGINT/SIGTERM sent to the wrapper reach
 * nats-server (the whole process group is signalled; the traps forward them
 * when only the wrapper is), and the wrapper exits with nats-server's status.
 * The watcher is a subshell using the `read` builtin (no external process),
 * with its output on /dev/null so it never holds the log pipes open.
 */
export const NATS_WRAPPER_SCRIPT = [
  '"$@" &',
  "pid=$!",
  'echo "NATS_SERVER_PID=$pid"',
  // The parent's pipe, kept on fd 3 (an asynchronous list gets /dev/null on fd 0).
  "exec 3<&0",
  '( while read -r _ <&3; do :; done; kill -TERM "$pid" 2>/dev/null ) >/dev/null 2>&1 &',
  "watcher=$!",
  "exec 3<&-",
  `trap 'sig=1; kill -INT "$pid" 2>/dev/null' INT`,
  `trap 'sig=1; kill -TERM "$pid" 2>/dev/null' TERM`,
  "status=0",
  // `wait` returns early when a trapped signal arrives: wait again until nats-server has exited.
  'while :; do sig=; wait "$pid"; s=$?; [ "$s" = 127 ] || status=$s; [ -n "$sig" ] || break; done',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join("\n");

/**
 * Starts nats-server with JetStream on loopback:
 * `-a 127.0.0.1 -p -1 -m -1 -js -sd DIR --ports_file_dir DIR`, reads the
 * ports it chose from DIR/nats-server_<pid>.ports and waits for
 * GET /healthz?js-enabled-only=true.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const bin = options.bin ?? resolveNatsServerBinary();
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "t2m-nats-")));
  await mkdir(dataDir, { recursive: true });
  const name = options.name ?? "nats";
  const timeoutMs = options.readyTimeoutMs ?? 20_000;
  const configArgs: string[] = [];
  if (options.config !== undefined) {
    const configFile = join(dataDir, "t2m-nats.conf");
    await writeFile(configFile, options.config, { mode: 0o600 });
    configArgs.push("-c", configFile);
  }
  const child = ManagedProcess.spawn({
    name,
    command: "/bin/sh",
    args: [
      "-c",
      NATS_WRAPPER_SCRIPT,
      "nats-server-wrapper",
      bin,
      ...configArgs,
      ...["-a", options.host ?? "127.0.0.1", "-p", String(options.port ?? -1), "-m", String(options.monitorPort ?? -1), "-js", "-sd", dataDir, "--ports_file_dir", dataDir],
    ],
    output: options.output,
    exitWithParent: true,
  });
  let portsFile: string | undefined;
  const cleanup = async () => {
    // SIGINT: nats-server shuts down the same way as on SIGTERM, but exits 0 rather than 1.
    await child.stop({ signal: "SIGINT", timeoutMs: 10_000 });
    if (temporary) await rm(dataDir, { recursive: true, force: true });
    else if (portsFile) await rm(portsFile, { force: true });
  };
  try {
    const deadline = Date.now() + timeoutMs;
    const pidLine = await child.waitForLine((l) => l.startsWith("NATS_SERVER_PID="), timeoutMs, "NATS_SERVER_PID=…");
    const serverPid = Number(pidLine.slice("NATS_SERVER_PID=".length));
    portsFile = join(dataDir, `nats-server_${serverPid}.ports`);
    let ports: PortsFile | undefined;
    while (!ports) {
      if (child.exitInfo) throw new ProcessError(`nats-server stopped before it was ready (${describe(child)})`, name, child.lastLines());
      const text = await readFile(portsFile, "utf8").catch(() => undefined);
      if (text?.trim()) ports = parsePortsFile(text);
      else if (Date.now() > deadline) throw new ProcessError(`nats-server wrote no ports file (${portsFile}) within ${timeoutMs} ms`, name, child.lastLines());
      else await sleep(25);
    }
    await waitUntilReady({
      name,
      url: `${ports.monitorUrl}/healthz?js-enabled-only=true`,
      timeoutMs: Math.max(1_000, deadline - Date.now()),
      intervalMs: 50,
      exited: child.exited,
      lastLines: () => child.lastLines(),
      accept: (body) => body.includes('"ok"'),
    });
    const port = Number(/:(\d+)\/?$/.exec(ports.url)?.[1]);
    const startAgain = async (again: { readonly output?: OutputSink } = {}): Promise<NatsServer> => {
      if (portsFile) await rm(portsFile, { force: true });
      const monitorPort = Number(/:(\d+)\/?$/.exec(ports.monitorUrl)?.[1]);
      const next = await startNatsServer({ ...options, dataDir, port, monitorPort, output: again.output ?? options.output });
      return temporary ? removingOnStop(next, dataDir) : next;
    };
    return { url: ports.url, port, monitorUrl: ports.monitorUrl, dataDir, process: child, serverPid, stop: cleanup, startAgain };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** A temporary directory belongs to the first server started in it: whichever server runs there last removes it on stop(). */
function removingOnStop(server: NatsServer, dir: string): NatsServer {
  return {
    ...server,
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
    startAgain: async (options) => removingOnStop(await server.startAgain(options), dir),
  };
}

const describe = (child: ManagedProcess) =>
  child.exitInfo?.error ?? (child.exitInfo?.signal ? `signal ${child.exitInfo.signal}` : `code ${child.exitInfo?.code}`);

export type NatsProbe =
  | { readonly kind: "nats"; readonly jetstream: boolean; readonly version: string }
  | { readonly kind: "closed"; readonly detail: string }
  | { readonly kind: "other"; readonly detail: string };

/** Whether host:port answers as a NATS server, and whether it has JetStream. */
export async function probeNats(host: string, port: number, timeoutMs = 2_000, credentials?: { user: string; password: string }): Promise<NatsProbe> {
  try {
    const auth = credentials ? { user: credentials.user, pass: credentials.password } : {};
    const connection = await connect({ servers: `${host}:${port}`, timeout: timeoutMs, reconnect: false, ...auth });
    const info = connection.info;
    await connection.close();
    return { kind: "nats", jetstream: info?.jetstream === true, version: info?.version ?? "unknown" };
  } catch (err) {
    const detail = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ""}` : String(err);
    return /ECONNREFUSED|refused/i.test(detail) ? { kind: "closed", detail: "ECONNREFUSED" } : { kind: "other", detail };
  }
}
