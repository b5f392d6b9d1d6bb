import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localUrl } from "@t2m/topology";
import {
  childEnv,
  DEFAULT_DATABASE,
  DEFAULT_SERVICE_PORTS,
  mongoUrlWithDatabase,
  paths,
  REPO_ROOT,
  serviceEnv,
  type Environment,
  type StackTopology,
} from "./config.js";
import { indentLines, LineBuffer } from "./lines.js";
import { defaultSink } from "./output.js";
import { findFreePorts, isPortFree } from "./ports.js";
import {
  describeExit,
  isNonTerminating,
  ProcessError,
  SERVICE_NAMES,
  serviceEntry,
  spawnService,
  type ExitInfo,
  type ManagedProcess,
  type OutputSink,
  type ServiceName,
} from "./processes.js";
import { startFerretDb, type FerretDb } from "./servers/ferretdb.js";
import { startNatsServer, type NatsServer } from "./servers/nats.js";

export type StackProcessName = ServiceName | "nats" | "ferretdb";

export interface StackOptions {
  /** "default": the platform's ports (4000, 4101…4106); "random": free ports picked up front (tests). Default "random". */
  readonly ports?: "default" | "random";
  /** Reuse this NATS (JetStream enabled) instead of starting one. */
  readonly nats?: { readonly url: string };
  /** Reuse this MongoDB-wire server; the URL must name the database (mongodb://host:port/db). */
  readonly mongodbUrl?: string;
  /** Database name when the stack starts FerretDB; "t2mobile". */
  readonly database?: string;
  /** Where a started NATS and FerretDB keep their data (subfolders nats/, ferretdb/); a temp dir removed on stop() when omitted. */
  readonly dataDir?: string;
  /** The Zoho sandbox's state file (ZOHO_SANDBOX_STATE_FILE); default zoho-sandbox/state.json in dataDir, so a restarted sandbox keeps its ids. */
  readonly zohoSandboxStateFile?: string;
  /** Env for every process that reads the variable (e.g. NATS_ACK_WAIT_MS, WEBHOOK_RETRY_DELAYS_MS, T2MOBILE_API_KEY). */
  readonly env?: Environment;
  /** Env for one process, applied after `env`. */
  readonly serviceEnv?: Partial<Record<ServiceName, Environment>>;
  /** LOG_LEVEL of every process; "info". */
  readonly logLevel?: string;
  /** Which processes to start (always in dependency order); all by default. */
  readonly services?: readonly ServiceName[];
  /** Receives every output line (the last lines are kept in memory regardless). */
  readonly output?: OutputSink;
  /** Per process, for /readyz; 30 s. */
  readonly readyTimeoutMs?: number;
  /** Per process, between SIGTERM and SIGKILL; 12 s. */
  readonly stopTimeoutMs?: number;
  /** Lines kept per process; 300. */
  readonly keepLines?: number;
  /** Called when a process exits without the stack having asked it to (after startup). */
  readonly onUnexpectedExit?: (name: StackProcessName, exit: ExitInfo, lastLines: readonly string[]) => void;
  /** Aborting during startup stops whatever was started and rejects. */
  readonly signal?: AbortSignal;
  /** Progress messages of the stack itself. */
  readonly log?: (message: string) => void;
  readonly repoRoot?: string;
}

export interface StartServiceOptions {
  /** Extra env for this start only; a later start without it goes back to the stack's env. */
  readonly env?: Environment;
}

/** The servers a stack may own. */
export type StackServerName = "nats" | "ferretdb";

export interface Stack {
  /** The processes this stack runs, in start order. */
  readonly services: readonly ServiceName[];
  readonly ports: Readonly<Record<ServiceName, number>>;
  /** http://127.0.0.1:<port> of every process. */
  readonly urls: Readonly<Record<ServiceName, string>>;
  /** The env contract each process gets (without the inherited PATH, OTEL_* …). */
  readonly env: Readonly<Record<ServiceName, Readonly<Record<string, string>>>>;
  readonly natsUrl: string;
  /** NATS monitoring URL, when the stack started NATS. */
  readonly natsMonitorUrl: string | undefined;
  /** With the database name. */
  readonly mongodbUrl: string;
  readonly dataDir: string;
  /** The gateway's T2MOBILE_API_KEY. */
  readonly apiKey: string;
  /** The Standard Webhooks secret notification signs with and the inbox verifies. */
  readonly webhookSecret: string;
  /** Where notification sends webhooks (the inbox unless overridden). */
  readonly webhookUrl: string;
  isRunning(name: StackProcessName): boolean;
  pid(name: StackProcessName): number | undefined;
  /** The last lines a process printed (across restarts). */
  logs(name: StackProcessName, lines?: number): string[];
  /** The last lines of every process, for a failing test's message. */
  recentOutput(lines?: number): string;
  /** Starts a stopped or killed process on its port and waits for /readyz. */
  start(name: ServiceName, options?: StartServiceOptions): Promise<void>;
  /** Stops (SIGTERM, then SIGKILL) and starts again. */
  restart(name: ServiceName, options?: StartServiceOptions): Promise<void>;
  /** Stops NATS or FerretDB (one the stack started), keeping its data, e.g. to see readiness fail. */
  stopServer(name: StackServerName): Promise<void>;
  /** Starts a stopped server again on the same port with the same data; clients reconnect. */
  startServer(name: StackServerName): Promise<void>;
  /**
   * Sends a signal (SIGTERM by default; SIGKILL to simulate a crash) and
   * resolves with how it exited; resolves null at once for signals that do
   * not end a process (SIGSTOP, SIGCONT).
   */
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<ExitInfo | null>;
  /** Stops every process in reverse order, then FerretDB and NATS if it started them. Idempotent. */
  stop(): Promise<void>;
}

class StackImpl implements Stack {
  readonly env = {} as Record<ServiceName, Record<string, string>>;
  natsUrl = "";
  natsMonitorUrl: string | undefined;
  mongodbUrl = "";
  nats: NatsServer | undefined;
  ferretDb: FerretDb | undefined;
  startupDone = false;
  /** Server starts still under way (an abort does not wait for them; stop() does). */
  readonly pendingServers: Promise<unknown>[] = [];
  private readonly processes = new Map<ServiceName, ManagedProcess>();
  private readonly buffers = new Map<StackProcessName, LineBuffer>();
  private readonly expected = new WeakSet<ManagedProcess>();
  private readonly overrides: Partial<Record<ServiceName, Environment>>;
  /** Env given to the current start of a process only. */
  private readonly startEnv: Partial<Record<ServiceName, Environment>> = {};
  private stopping: Promise<void> | undefined;

  constructor(
    readonly services: readonly ServiceName[],
    readonly ports: Record<ServiceName, number>,
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
    private readonly options: StackOptions,
    private readonly repoRoot: string,
  ) {
    this.overrides = { ...options.serviceEnv };
  }

  get urls(): Record<ServiceName, string> {
    return Object.fromEntries(SERVICE_NAMES.map((n) => [n, localUrl(this.ports[n])])) as Record<ServiceName, string>;
  }

  /** Moves a process that has not started yet to another port (its URL changes for everyone). */
  movePort(name: ServiceName, port: number): void {
    this.ports[name] = port;
    this.computeEnv();
  }

  get apiKey(): string {
    return this.env.gateway.T2MOBILE_API_KEY ?? "";
  }
  get webhookSecret(): string {
    return this.env.notification.T2MOBILE_WEBHOOK_SECRET ?? "";
  }
  get webhookUrl(): string {
    return this.env.notification.T2MOBILE_WEBHOOK_URL ?? "";
  }

  buffer(name: StackProcessName): LineBuffer {
    let buffer = this.buffers.get(name);
    if (!buffer) {
      buffer = new LineBuffer(this.options.keepLines ?? 300);
      this.buffers.set(name, buffer);
    }
    return buffer;
  }

  /** Output sink that also fills the per-name buffer for servers (services fill theirs directly). */
  serverSink(name: "nats" | "ferretdb"): OutputSink {
    const buffer = this.buffer(name);
    return (source, line, stream) => {
      buffer.push(line);
      this.options.output?.(source, line, stream);
    };
  }

  computeEnv(): void {
    const topology: StackTopology = {
      ports: this.ports,
      natsUrl: this.natsUrl,
      mongodbUrl: this.mongodbUrl,
      catalogueFile: paths(this.repoRoot).catalogueFile,
      logLevel: this.options.logLevel ?? "info",
      zohoSandboxStateFile: this.options.zohoSandboxStateFile ?? join(this.dataDir, "zoho-sandbox", "state.json"),
    };
    for (const name of SERVICE_NAMES) {
      this.env[name] = serviceEnv(name, topology, { global: this.options.env, service: { ...this.overrides[name], ...this.startEnv[name] } });
    }
  }

  watch(name: StackProcessName, proc: ManagedProcess): void {
    void proc.exited.then((exit) => {
      if (this.expected.has(proc) || this.stopping || !this.startupDone) return;
      if (this.processes.get(name as ServiceName) !== proc && name !== "nats" && name !== "ferretdb") return;
      this.options.onUnexpectedExit?.(name, exit, proc.lastLines());
    });
  }

  isRunning(name: StackProcessName): boolean {
    return this.processFor(name)?.running ?? false;
  }

  pid(name: StackProcessName): number | undefined {
    const proc = this.processFor(name);
    return proc?.running ? proc.pid : undefined;
  }

  private processFor(name: StackProcessName): ManagedProcess | undefined {
    if (name === "nats") return this.nats?.process;
    if (name === "ferretdb") return this.ferretDb?.process;
    return this.processes.get(name);
  }

  logs(name: StackProcessName, lines = 60): string[] {
    return this.buffers.get(name)?.last(lines) ?? [];
  }

  recentOutput(lines = 30): string {
    return [...this.buffers.keys()]
      .map((name) => `--- ${name}${this.isRunning(name) ? "" : " (not running)"} ---\n${indentLines(this.logs(name, lines))}`)
      .join("\n");
  }

  async start(name: ServiceName, options: StartServiceOptions = {}): Promise<void> {
    if (this.stopping) throw new Error(`the stack is stopping; cannot start ${name}`);
    if (this.processes.get(name)?.running) throw new Error(`${name} is already running (pid ${this.pid(name)})`);
    if (options.env || this.startEnv[name]) {
      this.startEnv[name] = options.env;
      this.computeEnv();
    }
    const buffer = this.buffer(name);
    const proc = spawnService(name, {
      repoRoot: this.repoRoot,
      env: childEnv(process.env, this.env[name]),
      output: this.options.output,
      buffer,
    });
    buffer.push(`[devstack] started ${name} (pid ${proc.pid ?? "?"}) on ${this.urls[name]}`);
    this.processes.set(name, proc);
    this.watch(name, proc);
    try {
      await abortable(proc.waitReady(this.urls[name], { timeoutMs: this.options.readyTimeoutMs ?? 30_000 }), this.options.signal);
    } catch (err) {
      this.expected.add(proc);
      await proc.stop({ timeoutMs: 2_000 });
      throw err;
    }
    this.options.log?.(`${name} ready on ${this.urls[name]}`);
  }

  async restart(name: ServiceName, options: StartServiceOptions = {}): Promise<void> {
    const proc = this.processes.get(name);
    if (proc?.running) {
      this.expected.add(proc);
      await proc.stop({ timeoutMs: this.stopTimeoutMs() });
    }
    await this.start(name, options);
  }

  async kill(name: ServiceName, signal: NodeJS.Signals = "SIGTERM"): Promise<ExitInfo | null> {
    const proc = this.processes.get(name);
    if (!proc) throw new Error(`${name} was never started in this stack`);
    if (isNonTerminating(signal)) {
      proc.kill(signal);
      return null;
    }
    this.expected.add(proc);
    if (!proc.kill(signal)) return proc.exited;
    proc.kill("SIGCONT");
    return proc.exited;
  }

  async stopServer(name: StackServerName): Promise<void> {
    const server = name === "nats" ? this.nats : this.ferretDb;
    if (!server) throw new Error(`this stack did not start ${name} (it reuses one), so it cannot stop it`);
    this.expected.add(server.process);
    await server.stop();
  }

  async startServer(name: StackServerName): Promise<void> {
    if (this.stopping) throw new Error(`the stack is stopping; cannot start ${name}`);
    const server = name === "nats" ? this.nats : this.ferretDb;
    if (!server) throw new Error(`this stack did not start ${name} (it reuses one)`);
    if (server.process.running) throw new Error(`${name} is already running`);
    const port = Number(/:(\d+)\/?$/.exec(server.url)?.[1]);
    if (name === "nats") {
      this.nats = await startNatsServer({ dataDir: server.dataDir, port, output: this.serverSink("nats") });
      this.natsMonitorUrl = this.nats.monitorUrl;
      this.watch("nats", this.nats.process);
    } else {
      this.ferretDb = await startFerretDb({ dataDir: server.dataDir, listen: `127.0.0.1:${port}`, output: this.serverSink("ferretdb") });
      this.watch("ferretdb", this.ferretDb.process);
    }
    this.options.log?.(`${name} started again on ${server.url}`);
  }

  stopTimeoutMs(): number {
    return this.options.stopTimeoutMs ?? 12_000;
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const timeoutMs = this.stopTimeoutMs();
    await Promise.allSettled(this.pendingServers);
    for (const name of [...SERVICE_NAMES].reverse()) {
      const proc = this.processes.get(name);
      if (!proc?.running) continue;
      this.expected.add(proc);
      const exit = await proc.stop({ timeoutMs });
      if (exit.signal === "SIGKILL") this.options.log?.(`${name} did not stop within ${timeoutMs} ms and was killed`);
    }
    if (this.ferretDb) {
      this.expected.add(this.ferretDb.process);
      await this.ferretDb.stop();
    }
    if (this.nats) {
      this.expected.add(this.nats.process);
      await this.nats.stop();
    }
    if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Resolves or rejects with `promise`, or rejects as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.finally(() => signal.removeEventListener("abort", onAbort)).then(resolve, reject);
  });
}

const abortError = (signal: AbortSignal) =>
  signal.reason instanceof Error ? signal.reason : new DOMException("the stack's startup was aborted", "AbortError");

/** Throws a clear error naming every process whose dist/main.js is missing. */
export function assertBuilt(services: readonly ServiceName[] = SERVICE_NAMES, repoRoot = REPO_ROOT): void {
  const missing = services.filter((n) => !existsSync(join(repoRoot, serviceEntry(n))));
  if (missing.length > 0) {
    throw new Error(`not built yet: ${missing.map(serviceEntry).join(", ")}. Run \`npm run build\` first.`);
  }
}

/**
 * Starts the platform: NATS and FerretDB (unless given), then zoho-sandbox,
 * webhook-inbox, catalogue, provisioning, fulfilment, notification and
 * gateway, each awaited on /readyz. If anything fails, whatever was started
 * is stopped again and the error says which process and shows its last lines.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const wanted = new Set(options.services ?? SERVICE_NAMES);
  const services = SERVICE_NAMES.filter((n) => wanted.has(n));
  const output = options.output ?? defaultSink();
  const opts: StackOptions = { ...options, output };

  assertBuilt(services, repoRoot);

  const random = (options.ports ?? "random") === "random";
  const ports: Record<ServiceName, number> = { ...DEFAULT_SERVICE_PORTS };
  if (!random) {
    const busy = [];
    for (const n of services) if (!(await isPortFree(ports[n]))) busy.push(`${ports[n]} (${n})`);
    if (busy.length > 0) {
      throw new Error(
        `port${busy.length > 1 ? "s" : ""} ${busy.join(", ")} already in use on 127.0.0.1 — is another \`npm start\` running? Stop it or free the port${busy.length > 1 ? "s" : ""}.`,
      );
    }
  }

  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "t2m-stack-")));
  const stack = new StackImpl(services, ports, dataDir, ownsDataDir, opts, repoRoot);
  try {
    if (options.nats) {
      stack.natsUrl = options.nats.url;
    } else {
      const natsDir = join(dataDir, "nats");
      await mkdir(natsDir, { recursive: true });
      const starting = startNatsServer({ dataDir: natsDir, output: stack.serverSink("nats") });
      stack.pendingServers.push(starting.then((n) => (stack.nats = n)).catch(() => undefined));
      await abortable(starting, options.signal);
      stack.nats = await starting;
      stack.natsUrl = stack.nats.url;
      stack.natsMonitorUrl = stack.nats.monitorUrl;
      stack.watch("nats", stack.nats.process);
      options.log?.(`NATS ready on ${stack.natsUrl}`);
    }
    if (options.mongodbUrl) {
      stack.mongodbUrl = options.mongodbUrl;
    } else {
      const starting = startFerretDb({ dataDir: join(dataDir, "ferretdb"), output: stack.serverSink("ferretdb"), log: options.log });
      stack.pendingServers.push(starting.then((f) => (stack.ferretDb = f)).catch(() => undefined));
      await abortable(starting, options.signal);
      stack.ferretDb = await starting;
      stack.mongodbUrl = mongoUrlWithDatabase(stack.ferretDb.url, options.database ?? DEFAULT_DATABASE);
      stack.watch("ferretdb", stack.ferretDb.process);
      options.log?.(`FerretDB ready on ${stack.mongodbUrl}`);
    }
    if (random) {
      // Picked after NATS and FerretDB have their ports, so they cannot take one of these.
      const free = await findFreePorts(SERVICE_NAMES.length);
      SERVICE_NAMES.forEach((n, i) => (ports[n] = free[i] ?? 0));
    }
    stack.computeEnv();
    // Each process starts after every process it calls, so one whose port was
    // taken meanwhile (another test file) can move before anyone uses its URL.
    for (const name of services) {
      for (let attempt = 1; ; attempt++) {
        try {
          await stack.start(name);
          break;
        } catch (err) {
          const clash = err instanceof ProcessError && err.lastLines.some((l) => l.includes("EADDRINUSE"));
          if (!random || !clash || attempt >= 3 || options.signal?.aborted) throw err;
          const [port] = await findFreePorts(1);
          options.log?.(`${name}: port ${ports[name]} was taken meanwhile; trying ${port}`);
          stack.movePort(name, port ?? 0);
        }
      }
    }
    stack.startupDone = true;
    return stack;
  } catch (err) {
    await stack.stop().catch((stopError: unknown) => options.log?.(`while stopping after a failed start: ${String(stopError)}`));
    throw err;
  }
}

export { describeExit, ProcessError };
