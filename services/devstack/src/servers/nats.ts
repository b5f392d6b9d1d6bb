import { connect } from "@nats-io/transport-node";
import { mkdtemp, readFile, rm, mkdir } from "node:fs/promises";
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
  readonly host?: string;
  /** The binary; see resolveNatsServerBinary() when omitted. */
  readonly bin?: string;
  readonly readyTimeoutMs?: number;
  readonly output?: OutputSink;
  /** Name in output and errors; "nats". */
  readonly name?: string;
}

export interface NatsServer {
  /** nats://127.0.0.1:<port> */
  readonly url: string;
  /** http://127.0.0.1:<port> (monitoring: /healthz, /varz, /jsz) */
  readonly monitorUrl: string;
  readonly dataDir: string;
  readonly process: ManagedProcess;
  /** SIGTERM, then SIGKILL after a timeout; removes a temporary data directory. */
  stop(): Promise<void>;
}

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
  const child = ManagedProcess.spawn({
    name,
    command: bin,
    args: ["-a", options.host ?? "127.0.0.1", "-p", String(options.port ?? -1), "-m", "-1", "-js", "-sd", dataDir, "--ports_file_dir", dataDir],
    output: options.output,
  });
  const portsFile = join(dataDir, `nats-server_${child.pid}.ports`);
  const cleanup = async () => {
    // SIGINT: nats-server shuts down the same way as on SIGTERM, but exits 0 rather than 1.
    await child.stop({ signal: "SIGINT", timeoutMs: 10_000 });
    await rm(temporary ? dataDir : portsFile, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + timeoutMs;
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
    return { url: ports.url, monitorUrl: ports.monitorUrl, dataDir, process: child, stop: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

const describe = (child: ManagedProcess) =>
  child.exitInfo?.error ?? (child.exitInfo?.signal ? `signal ${child.exitInfo.signal}` : `code ${child.exitInfo?.code}`);

export type NatsProbe =
  | { readonly kind: "nats"; readonly jetstream: boolean; readonly version: string }
  | { readonly kind: "closed"; readonly detail: string }
  | { readonly kind: "other"; readonly detail: string };

/** Whether host:port answers as a NATS server, and whether it has JetStream. */
export async function probeNats(host: string, port: number, timeoutMs = 2_000): Promise<NatsProbe> {
  try {
    const connection = await connect({ servers: `${host}:${port}`, timeout: timeoutMs, reconnect: false });
    const info = connection.info;
    await connection.close();
    return { kind: "nats", jetstream: info?.jetstream === true, version: info?.version ?? "unknown" };
  } catch (err) {
    const detail = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ""}` : String(err);
    return /ECONNREFUSED|refused/i.test(detail) ? { kind: "closed", detail: "ECONNREFUSED" } : { kind: "other", detail };
  }
}
