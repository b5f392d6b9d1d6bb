import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { rpcTokenVariable, type NatsCredentials } from "@t2m/platform";
import { localUrl, SandboxDefaults, type NatsService, type RpcCaller } from "@t2m/topology";
import { DEVSTACK_NATS_ADMIN, sandboxNatsCredentials } from "./servers/nats-accounts.js";
import { childEnv, DEFAULT_SERVICE_PORTS, paths, REPO_ROOT, serviceEnv, type Environment, type StackTopology } from "./config.js";
import { indentLines, LineBuffer } from "./lines.js";
import { defaultSink } from "./output.js";
import { findFreePorts, findPortOwners, isPortFree, type PortOwner } from "./ports.js";
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
import type { ServersChoice, StoreChoice } from "./servers/choice.js";
import { LocalServers, startServers, type Servers, type StoreInfo } from "./servers/start-servers.js";
import { consecutiveCrashes, restartDelayMs, restartPolicy, type RestartPolicy, type SupervisionEvent } from "./supervisor.js";

export type StackProcessName = ServiceName | "nats" | "ferretdb";

export interface StackOptions {
  /** "default": the platform's ports (4000, 4101…4106); "random": free ports picked up front (tests). Default "random". */
  readonly ports?: "default" | "random";
  /** Reuse this NATS (JetStream enabled) instead of starting one. */
  readonly nats?: { readonly url: string };
  /** Reuse this MongoDB-wire server; the URL must name the database (mongodb://host:port/db). */
  readonly mongodbUrl?: string;
  /**
   * Where the stack's NATS and MongoDB come from when it starts them (see
   * startServers): "auto" (the default, or DEVSTACK_SERVERS): real MongoDB 7
   * and NATS 2.11 in containers where a Docker engine answers, else
   * nats-server and FerretDB as local processes; "local"; "containers". Or
   * servers already started (e.g. `npm start`'s, on fixed ports), which the
   * stack owns from then on: it supervises and stops them.
   */
  readonly servers?: ServersChoice | Servers;
  /**
   * FerretDB's store when the stack starts it locally: "auto" (the default,
   * or DEVSTACK_STORE): a PostgreSQL database of the stack's own when
   * PostgreSQL answers (DEVSTACK_POSTGRESQL_URL, or the machine's on
   * 127.0.0.1:5432), dropped on stop; SQLite otherwise.
   */
  readonly store?: StoreChoice;
  /** The PostgreSQL server for store "postgresql"/"auto"; DEVSTACK_POSTGRESQL_URL or postgres://postgres@127.0.0.1:5432/postgres. */
  readonly postgresqlUrl?: string;
  /** Database name when the stack starts MongoDB; "t2mobile". */
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
  /**
   * Restart a process (and a NATS or FerretDB the stack runs) that dies on
   * its own, after startup, on the same port, as Kubernetes would: after 1 s,
   * doubling per crash in a row up to 30 s, from 1 s again once it stayed
   * ready for 60 s. `true` for those delays, or your own (tests use short
   * ones). Off by default: a test that kills a process expects it to stay down.
   */
  readonly supervise?: boolean | Partial<RestartPolicy>;
  /** Called when a process exits without the stack having asked it to (after startup); before any restart. */
  readonly onUnexpectedExit?: (name: StackProcessName, exit: ExitInfo, lastLines: readonly string[]) => void;
  /** The supervisor's restarts: scheduled, done, failed. */
  readonly onSupervision?: (event: SupervisionEvent) => void;
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

export interface WaitUntilReadyOptions {
  /** 60 s: long enough for a restart after the longest backoff a test would use. */
  readonly timeoutMs?: number;
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
  /** A NATS user that may do anything (local servers only have the platform's users and this one). */
  readonly natsAdmin: NatsCredentials;
  /** The NATS user and password a service connects with (each limited to its own subjects). */
  natsCredentials(service: NatsService): NatsCredentials;
  /** The service token a caller sends on RPCs (operator: people and tools). */
  rpcToken(caller: RpcCaller): string;
  /** With the database name. */
  readonly mongodbUrl: string;
  /** "local": nats-server and FerretDB processes; "containers": MongoDB 7 and NATS 2.11; "reused": both given. */
  readonly serversKind: "local" | "containers" | "reused";
  /** Where MongoDB keeps the data: FerretDB on PostgreSQL or SQLite, real MongoDB, or a reused server. */
  readonly store: StoreInfo;
  readonly dataDir: string;
  /** The gateway's T2MOBILE_API_KEY. */
  readonly apiKey: string;
  /** The Standard Webhooks secret notification signs with and the inbox verifies. */
  readonly webhookSecret: string;
  /** Where notification sends webhooks (the inbox unless overridden). */
  readonly webhookUrl: string;
  /** True when the stack restarts processes that die on their own. */
  readonly supervised: boolean;
  isRunning(name: StackProcessName): boolean;
  pid(name: StackProcessName): number | undefined;
  /** Every pid the stack's processes run as, nats-server's own included (for checks that nothing is left). */
  pids(): number[];
  /** The last lines a process printed (across restarts). */
  logs(name: StackProcessName, lines?: number): string[];
  /** The last lines of every process, for a failing test's message. */
  recentOutput(lines?: number): string;
  /** Starts a stopped or killed process on its port and waits for /readyz (cancels a pending supervised restart). */
  start(name: ServiceName, options?: StartServiceOptions): Promise<void>;
  /** Stops (SIGTERM, then SIGKILL) and starts again. */
  restart(name: ServiceName, options?: StartServiceOptions): Promise<void>;
  /** Stops NATS or FerretDB (one the stack started), keeping its data, e.g. to see readiness fail. It stays down. */
  stopServer(name: StackServerName): Promise<void>;
  /** Starts a stopped server again on the same port with the same data; clients reconnect. */
  startServer(name: StackServerName): Promise<void>;
  /**
   * A test-requested kill: sends a signal (SIGTERM by default) and resolves
   * with how it exited; the process stays down, supervised or not (a pending
   * restart is cancelled). Resolves null at once for signals that do not end
   * a process (SIGSTOP, SIGCONT).
   */
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<ExitInfo | null>;
  /**
   * A crash: SIGKILL, as if the process had died on its own. A supervised
   * stack reports it and restarts it on the same port after its backoff (see
   * waitUntilReady); an unsupervised one reports it. Resolves with how it exited.
   */
  crash(name: StackProcessName): Promise<ExitInfo>;
  /**
   * Resolves once the process runs and is ready (for a service: its /readyz
   * answered 200), e.g. after a supervised restart; rejects after the timeout
   * with the stack's recent output, or at once when it is down and nothing
   * will start it.
   */
  waitUntilReady(name: StackProcessName, options?: WaitUntilReadyOptions): Promise<void>;
  /** How many times the supervisor restarted the process. */
  restarts(name: StackProcessName): number;
  /** Stops every process in reverse order, then FerretDB and NATS if it started them. Idempotent. */
  stop(): Promise<void>;
}

/** What the stack knows about one supervised name. */
interface Slot {
  /** Consecutive crashes (the backoff's exponent). */
  crashes: number;
  restarts: number;
  /** When the current process became ready. */
  readyAt: number | undefined;
  /** The process that became ready last (the current one, unless it is being replaced). */
  ready: ManagedProcess | undefined;
  timer: NodeJS.Timeout | undefined;
  /** A supervised restart under way. */
  restarting: Promise<void> | undefined;
  /** Bumped by anything that takes over from the supervisor (kill, start, stop…): a pending restart then does nothing. */
  generation: number;
}

class StackImpl implements Stack {
  readonly env = {} as Record<ServiceName, Record<string, string>>;
  servers: Servers | undefined;
  startupDone = false;
  /** Server starts still under way (an abort does not wait for them; stop() does). */
  readonly pendingServers: Promise<unknown>[] = [];
  private readonly processes = new Map<ServiceName, ManagedProcess>();
  private readonly buffers = new Map<StackProcessName, LineBuffer>();
  private readonly expected = new WeakSet<ManagedProcess>();
  private readonly slots = new Map<StackProcessName, Slot>();
  private readonly overrides: Partial<Record<ServiceName, Environment>>;
  /** Env given to the current start of a process only. */
  private readonly startEnv: Partial<Record<ServiceName, Environment>> = {};
  private readonly policy: RestartPolicy | undefined;
  /** Aborted by stop(): supervised restarts under way give up. */
  private readonly lifecycle = new AbortController();
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
    this.policy = restartPolicy(options.supervise);
  }

  get supervised(): boolean {
    return this.policy !== undefined;
  }

  get urls(): Record<ServiceName, string> {
    return Object.fromEntries(SERVICE_NAMES.map((n) => [n, localUrl(this.ports[n])])) as Record<ServiceName, string>;
  }

  get natsUrl(): string {
    return this.options.nats?.url ?? this.servers?.natsUrl ?? "";
  }
  get natsMonitorUrl(): string | undefined {
    return this.options.nats ? undefined : this.servers?.natsMonitorUrl;
  }
  get natsAdmin(): NatsCredentials {
    return this.servers?.natsAdmin ?? DEVSTACK_NATS_ADMIN;
  }
  natsCredentials(service: NatsService): NatsCredentials {
    return sandboxNatsCredentials(service);
  }
  rpcToken(caller: RpcCaller): string {
    return this.options.env?.[rpcTokenVariable(caller)] ?? SandboxDefaults.rpcTokens[caller];
  }
  get mongodbUrl(): string {
    return this.options.mongodbUrl ?? this.servers?.mongodbUrl ?? "";
  }
  get serversKind(): "local" | "containers" | "reused" {
    return this.servers?.kind ?? "reused";
  }
  get store(): StoreInfo {
    return this.options.mongodbUrl || !this.servers ? { kind: "external", description: "a MongoDB the stack was given" } : this.servers.store;
  }

  private get localServers(): LocalServers | undefined {
    return this.servers instanceof LocalServers ? this.servers : undefined;
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

  /** Output sink for the servers: fills the per-name buffer (services fill theirs directly), then the stack's sink. */
  readonly serverSink: OutputSink = (source, line, stream) => {
    if (source === "nats" || source === "ferretdb") this.buffer(source).push(line);
    this.options.output?.(source, line, stream);
  };

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

  private slot(name: StackProcessName): Slot {
    let slot = this.slots.get(name);
    if (!slot) {
      slot = { crashes: 0, restarts: 0, readyAt: undefined, ready: undefined, timer: undefined, restarting: undefined, generation: 0 };
      this.slots.set(name, slot);
    }
    return slot;
  }

  /** Someone else takes over from the supervisor: a pending restart of `name` is cancelled. */
  private takeOver(name: StackProcessName): void {
    const slot = this.slot(name);
    slot.generation++;
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.ready = undefined;
  }

  /** Watches a server the stack was handed or started, ready. */
  watchServer(name: StackServerName, proc: ManagedProcess): void {
    this.becameReady(name, proc);
  }

  /** Records that `proc` is ready and watches it for an exit nobody asked for. */
  private becameReady(name: StackProcessName, proc: ManagedProcess): void {
    const slot = this.slot(name);
    slot.ready = proc;
    slot.readyAt = Date.now();
    void proc.exited.then((exit) => this.exitedOnItsOwn(name, proc, exit));
  }

  private exitedOnItsOwn(name: StackProcessName, proc: ManagedProcess, exit: ExitInfo): void {
    if (this.expected.has(proc) || this.stopping || !this.startupDone) return;
    if (this.processFor(name) !== proc) return;
    const slot = this.slot(name);
    this.options.onUnexpectedExit?.(name, exit, proc.lastLines());
    if (!this.policy) return;
    slot.crashes = consecutiveCrashes(slot.crashes, slot.readyAt === undefined ? undefined : Date.now() - slot.readyAt, this.policy);
    slot.readyAt = undefined;
    this.scheduleRestart(name, exit);
  }

  private scheduleRestart(name: StackProcessName, exit: ExitInfo): void {
    const policy = this.policy;
    if (!policy || this.stopping) return;
    const slot = this.slot(name);
    const delayMs = restartDelayMs(slot.crashes, policy);
    const attempt = slot.restarts + 1;
    const generation = slot.generation;
    this.supervisionNote(name, `${describeExit(exit)}; restarting in ${delayMs} ms (restart #${attempt})`);
    this.options.onSupervision?.({ type: "restarting", name, exit, delayMs, attempt });
    clearTimeout(slot.timer);
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (this.stopping || slot.generation !== generation) return;
      slot.restarting = this.supervisedStart(name, generation, attempt).finally(() => (slot.restarting = undefined));
    }, delayMs);
    slot.timer.unref?.();
  }

  /** What the supervisor did, in the process's recent lines and the stack's output (DEVSTACK_LOGS=1 shows it). */
  private supervisionNote(name: StackProcessName, text: string): void {
    const line = `[devstack] ${name} ${text}`;
    this.buffer(name).push(line);
    this.options.output?.(name, line, "stderr");
  }

  private async supervisedStart(name: StackProcessName, generation: number, attempt: number): Promise<void> {
    const slot = this.slot(name);
    try {
      if (name === "nats" || name === "ferretdb") await this.startServerProcess(name);
      else await this.startProcess(name, this.lifecycle.signal);
      slot.restarts++;
      this.supervisionNote(name, `restarted (restart #${attempt})`);
      this.options.onSupervision?.({ type: "restarted", name, pid: this.pid(name), attempt });
    } catch (err) {
      if (this.stopping || slot.generation !== generation) return;
      const error = err instanceof Error ? err : new Error(String(err));
      this.supervisionNote(name, `did not start again: ${error instanceof ProcessError ? error.summary : error.message}`);
      this.options.onSupervision?.({ type: "restart-failed", name, error, attempt });
      slot.crashes++;
      const exit = this.processFor(name)?.exitInfo ?? { code: null, signal: null, error: error.message };
      this.scheduleRestart(name, exit);
    }
  }

  isRunning(name: StackProcessName): boolean {
    return this.processFor(name)?.running ?? false;
  }

  pid(name: StackProcessName): number | undefined {
    const proc = this.processFor(name);
    return proc?.running ? proc.pid : undefined;
  }

  pids(): number[] {
    const names: StackProcessName[] = [...this.services, "nats", "ferretdb"];
    const pids = names.map((n) => this.pid(n));
    const nats = this.localServers?.nats;
    if (nats?.process.running) pids.push(nats.serverPid);
    return pids.filter((p): p is number => p !== undefined);
  }

  private processFor(name: StackProcessName): ManagedProcess | undefined {
    if (name === "nats" || name === "ferretdb") return this.localServers?.process(name);
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
    this.takeOver(name);
    await this.slot(name).restarting;
    if (this.processes.get(name)?.running) throw new Error(`${name} is already running (pid ${this.pid(name)})`);
    if (options.env || this.startEnv[name]) {
      this.startEnv[name] = options.env;
      this.computeEnv();
    }
    await this.startProcess(name, this.options.signal);
  }

  /** Spawns the process on its port and waits for /readyz; stops it again if it does not get ready. */
  private async startProcess(name: ServiceName, signal: AbortSignal | undefined): Promise<void> {
    const buffer = this.buffer(name);
    const proc = spawnService(name, {
      repoRoot: this.repoRoot,
      env: childEnv(process.env, this.env[name]),
      output: this.options.output,
      buffer,
    });
    buffer.push(`[devstack] started ${name} (pid ${proc.pid ?? "?"}) on ${this.urls[name]}`);
    this.processes.set(name, proc);
    try {
      await abortable(proc.waitReady(this.urls[name], { timeoutMs: this.options.readyTimeoutMs ?? 30_000 }), signal);
    } catch (err) {
      this.expected.add(proc);
      await proc.stop({ timeoutMs: 2_000 });
      throw err;
    }
    this.becameReady(name, proc);
    this.options.log?.(`${name} ready on ${this.urls[name]}`);
  }

  async restart(name: ServiceName, options: StartServiceOptions = {}): Promise<void> {
    this.takeOver(name);
    await this.slot(name).restarting;
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
    this.takeOver(name);
    this.expected.add(proc);
    if (!proc.kill(signal)) return proc.exited;
    proc.kill("SIGCONT");
    return proc.exited;
  }

  async crash(name: StackProcessName): Promise<ExitInfo> {
    const proc = this.processFor(name);
    if (!proc?.running) throw new Error(`${name} is not running in this stack, so it cannot crash`);
    proc.kill("SIGKILL");
    return proc.exited;
  }

  async waitUntilReady(name: StackProcessName, options: WaitUntilReadyOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const slot = this.slot(name);
      const proc = this.processFor(name);
      if (proc?.running && slot.ready === proc && !slot.timer && !slot.restarting) return;
      const pending = slot.timer !== undefined || slot.restarting !== undefined;
      // A crash is reported (and a restart scheduled) once its exit has been seen: give that a moment.
      const justExited = proc?.exitInfo !== undefined && slot.ready === proc && this.supervised;
      if (!proc?.running && !pending && !justExited) {
        throw new Error(`${name} is not running and nothing will start it${this.supervised ? "" : " (the stack does not supervise)"}\n${this.recentOutput(20)}`);
      }
      if (this.stopping) throw new Error(`the stack is stopping; ${name} will not be ready`);
      if (Date.now() > deadline) throw new Error(`${name} was not ready again within ${timeoutMs} ms\n${this.recentOutput(30)}`);
      await sleep(25);
    }
  }

  restarts(name: StackProcessName): number {
    return this.slots.get(name)?.restarts ?? 0;
  }

  private requireLocal(name: StackServerName): LocalServers {
    const servers = this.localServers;
    if (!servers?.owns(name)) {
      throw new Error(`this stack did not start ${name} as a local process (${this.servers ? `its servers are ${this.servers.kind}` : "it reuses one"}), so it cannot stop or start it`);
    }
    return servers;
  }

  async stopServer(name: StackServerName): Promise<void> {
    const servers = this.requireLocal(name);
    this.takeOver(name);
    await this.slot(name).restarting;
    const proc = servers.process(name);
    if (proc) this.expected.add(proc);
    await servers.stopServer(name);
  }

  async startServer(name: StackServerName): Promise<void> {
    if (this.stopping) throw new Error(`the stack is stopping; cannot start ${name}`);
    this.requireLocal(name);
    this.takeOver(name);
    await this.slot(name).restarting;
    await this.startServerProcess(name);
    this.options.log?.(`${name} started again on ${name === "nats" ? this.natsUrl : this.mongodbUrl}`);
  }

  private async startServerProcess(name: StackServerName): Promise<void> {
    const proc = await this.requireLocal(name).startServer(name);
    this.becameReady(name, proc);
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
    for (const slot of this.slots.values()) clearTimeout(slot.timer);
    this.lifecycle.abort(new Error("the stack is stopping"));
    await Promise.allSettled([...this.pendingServers, ...[...this.slots.values()].map((s) => s.restarting)]);
    for (const name of [...SERVICE_NAMES].reverse()) {
      const proc = this.processes.get(name);
      if (!proc?.running) continue;
      this.expected.add(proc);
      const exit = await proc.stop({ timeoutMs });
      if (exit.signal === "SIGKILL") this.options.log?.(`${name} did not stop within ${timeoutMs} ms and was killed`);
    }
    for (const name of ["ferretdb", "nats"] as const) {
      const proc = this.localServers?.process(name);
      if (proc) this.expected.add(proc);
    }
    await this.servers?.stop();
    if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Resolves or rejects with `promise`, or rejects as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    // Nobody waits for it any more; its own failure (the process stopped before it was ready) must not go unhandled.
    promise.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
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

/** Ports in use, each with the process that holds it when it can be found: "4101 (catalogue: pid 1234, node services/catalogue/dist/main.js)". */
async function describeBusyPorts(busy: ReadonlyArray<{ port: number; name: string }>): Promise<{ text: string; owners: PortOwner[] }> {
  const owners: PortOwner[] = [];
  const parts = await Promise.all(
    busy.map(async ({ port, name }) => {
      const found = await findPortOwners(port).catch(() => []);
      owners.push(...found);
      return found.length > 0 ? `${port} (${name}: ${found.map((o) => `pid ${o.pid}, ${o.command}`).join("; ")})` : `${port} (${name})`;
    }),
  );
  return { text: parts.join(", "), owners };
}

/** What to kill: the devstack that runs them all (it stops them in order), else each holder. */
function whatToKill(owners: readonly PortOwner[]): string {
  const parents = new Set(owners.map((o) => o.parentPid));
  const [parent] = parents;
  const owner = owners[0];
  if (parents.size === 1 && parent !== undefined && parent !== 1 && owner?.parentCommand.includes("devstack/dist/main.js")) {
    return `It runs under pid ${parent} (${owner.parentCommand}): stop that (kill ${parent}), or free the ports.`;
  }
  const pids = [...new Set(owners.map((o) => o.pid))];
  return pids.length > 0 ? `Stop it (kill ${pids.join(" ")}) or free the ports.` : "Stop it or free the ports.";
}

/**
 * Throws, naming each busy port and the process holding it (when it can be
 * found), if any of these ports is in use on 127.0.0.1: what an older
 * `npm start` left running looks like.
 */
export async function assertPortsFree(wanted: ReadonlyArray<{ readonly name: string; readonly port: number }>): Promise<void> {
  const busy = [];
  for (const entry of wanted) if (!(await isPortFree(entry.port))) busy.push(entry);
  if (busy.length === 0) return;
  const { text, owners } = await describeBusyPorts(busy);
  throw new Error(
    `port${busy.length > 1 ? "s" : ""} ${text} already in use on 127.0.0.1 — is another \`npm start\` (or one left from an earlier run) still running? ` +
      whatToKill(owners),
  );
}

/**
 * Starts the platform: NATS and MongoDB (unless given; see startServers),
 * then zoho-sandbox, webhook-inbox, catalogue, provisioning, fulfilment,
 * notification and gateway, each awaited on /readyz. If anything fails,
 * whatever was started is stopped again and the error says which process and
 * shows its last lines.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const wanted = new Set(options.services ?? SERVICE_NAMES);
  const services = SERVICE_NAMES.filter((n) => wanted.has(n));
  const output = options.output ?? defaultSink();
  const opts: StackOptions = { ...options, output };
  const given = typeof options.servers === "object" ? options.servers : undefined;

  try {
    assertBuilt(services, repoRoot);
  } catch (err) {
    await given?.stop();
    throw err;
  }

  const random = (options.ports ?? "random") === "random";
  const ports: Record<ServiceName, number> = { ...DEFAULT_SERVICE_PORTS };
  if (!random) {
    try {
      await assertPortsFree(services.map((name) => ({ name, port: ports[name] })));
    } catch (err) {
      await given?.stop();
      throw err;
    }
  }

  const ownsDataDir = options.dataDir === undefined && !given;
  const dataDir = options.dataDir ?? (given ? "" : await mkdtemp(join(tmpdir(), "t2m-stack-")));
  const stack = new StackImpl(services, ports, dataDir, ownsDataDir, opts, repoRoot);
  try {
    if (given) {
      stack.servers = given;
    } else if (!options.nats || !options.mongodbUrl) {
      const starting = startServers({
        servers: typeof options.servers === "string" ? options.servers : undefined,
        store: options.store,
        postgresqlUrl: options.postgresqlUrl,
        database: options.database,
        dataDir,
        want: { nats: !options.nats, mongodb: !options.mongodbUrl },
        output: stack.serverSink,
        log: options.log,
      });
      stack.pendingServers.push(starting.then((s) => (stack.servers = s)).catch(() => undefined));
      stack.servers = await abortable(starting, options.signal);
      options.log?.(`servers: ${stack.servers.description}`);
    }
    for (const name of ["nats", "ferretdb"] as const) {
      const proc = stack.servers instanceof LocalServers ? stack.servers.process(name) : undefined;
      if (proc) stack.watchServer(name, proc);
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
