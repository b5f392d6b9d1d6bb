import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ServiceNodeFlags } from "@t2m/topology";
import { indentLines, LineBuffer, LineSplitter } from "./lines.js";

export type OutputStream = "stdout" | "stderr";

/** Receives every output line of every process, e.g. to print it. */
export type OutputSink = (source: string, line: string, stream: OutputStream) => void;

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  readonly error?: string;
}

export function describeExit(info: ExitInfo): string {
  if (info.error) return `failed to start: ${info.error}`;
  if (info.signal) return `killed by ${info.signal}`;
  return `exited with code ${info.code}`;
}

/** An error about a process, carrying its last output lines. */
export class ProcessError extends Error {
  constructor(
    /** What went wrong, without the output lines. */
    readonly summary: string,
    readonly processName: string,
    readonly lastLines: readonly string[],
  ) {
    super(`${summary}\nLast output of ${processName}:\n${indentLines(lastLines)}`);
    this.name = "ProcessError";
  }
}

export interface ProcessOptions {
  /** A short name for messages and output prefixes, e.g. "catalogue". */
  readonly name: string;
  readonly command: string;
  readonly args?: readonly string[];
  readonly cwd?: string;
  /** The complete environment of the child (merge with process.env yourself). */
  readonly env?: NodeJS.ProcessEnv;
  /** Also send every line here (the last lines are always kept in memory). */
  readonly output?: OutputSink;
  /** Where to keep the last lines; pass the same buffer to a restarted process to keep its history. */
  readonly buffer?: LineBuffer;
  /** Sees every line as it arrives, before the sink (e.g. to read a port a server prints). */
  readonly onLine?: (line: string, stream: OutputStream) => void;
  /**
   * Give the child a stdin pipe that this process never writes to. The kernel
   * closes it when this process dies in any way (SIGKILL included), so a child
   * that exits when its stdin ends (the platform's processes with
   * T2M_EXIT_WITH_PARENT=1, FerretDB with -exit-with-parent, nats-server under
   * its wrapper) never outlives it. Default false: stdin is /dev/null.
   */
  readonly exitWithParent?: boolean;
}

export interface WaitReadyOptions {
  /** Path polled on `baseUrl`; "/readyz" by default. */
  readonly path?: string;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

export interface StopOptions {
  /** How long to wait after the first signal before SIGKILL. */
  readonly timeoutMs?: number;
  readonly signal?: NodeJS.Signals;
}

const NON_TERMINATING = new Set<NodeJS.Signals>(["SIGSTOP", "SIGCONT", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGWINCH", "SIGURG", "SIGCHLD"]);

/** True for signals after which a process keeps existing (e.g. SIGSTOP). */
export const isNonTerminating = (signal: NodeJS.Signals): boolean => NON_TERMINATING.has(signal);

/** Children that are still running, killed if this process exits before stopping them. */
const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

/** Sends `signal` to every child still running (e.g. a second Ctrl-C); returns how many were signalled. */
export function killAllChildren(signal: NodeJS.Signals = "SIGKILL"): number {
  let count = 0;
  for (const child of live) if (child.kill(signal)) count++;
  return count;
}

function track(proc: ManagedProcess): void {
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Children run in their own process groups, so nothing else would stop them.
  process.once("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

/**
 * A child process with its output captured line by line. It runs in its own
 * process group, so a Ctrl-C in the terminal reaches only the parent, which
 * then stops the children in order. Children still running when the parent
 * exits are killed (SIGKILL) on its way out; a parent that is killed has no
 * way out, which is what `exitWithParent` is for.
 */
export class ManagedProcess {
  readonly name: string;
  readonly exited: Promise<ExitInfo>;
  private readonly child: ChildProcess;
  private readonly buffer: LineBuffer;
  private exit: ExitInfo | undefined;

  private constructor(options: ProcessOptions) {
    this.name = options.name;
    this.buffer = options.buffer ?? new LineBuffer();
    this.child = spawn(options.command, options.args ?? [], {
      cwd: options.cwd,
      env: options.env,
      stdio: [options.exitWithParent ? "pipe" : "ignore", "pipe", "pipe"],
      detached: true,
    });
    // Never written to; its only job is to close when this process dies. A
    // child that exits closes its end, which must not become an error here.
    this.child.stdin?.on("error", () => undefined);
    const record = (line: string, stream: OutputStream) => {
      this.buffer.push(line);
      options.onLine?.(line, stream);
      options.output?.(options.name, line, stream);
    };
    for (const stream of ["stdout", "stderr"] as const) {
      const splitter = new LineSplitter();
      const source = this.child[stream];
      source?.on("data", (chunk: Buffer) => splitter.push(chunk).forEach((line) => record(line, stream)));
      source?.on("end", () => splitter.flush().forEach((line) => record(line, stream)));
    }
    this.exited = new Promise<ExitInfo>((resolve) => {
      this.child.once("error", (err) => {
        // Only a failure to spawn ends the process here; a failed kill() also emits "error".
        if (this.child.pid === undefined) {
          this.exit = { code: null, signal: null, error: err.message };
          resolve(this.exit);
        }
      });
      // "close" comes after the output streams have ended, so no line is lost.
      this.child.once("close", (code, signal) => {
        this.exit ??= { code, signal };
        resolve(this.exit);
      });
    });
  }

  static spawn(options: ProcessOptions): ManagedProcess {
    const proc = new ManagedProcess(options);
    track(proc);
    return proc;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined && this.child.pid !== undefined;
  }

  /** How it ended, once it has. */
  get exitInfo(): ExitInfo | undefined {
    return this.exit;
  }

  lastLines(count = 40): string[] {
    return this.buffer.last(count);
  }

  /**
   * Closes the child's stdin pipe (see `exitWithParent`): what the child sees
   * when this process dies, without dying. False when it has no such pipe.
   */
  closeStdin(): boolean {
    if (!this.child.stdin || this.child.stdin.destroyed) return false;
    this.child.stdin.destroy();
    return true;
  }

  /** Sends a signal to the process group; false when it has already exited. */
  kill(signal: NodeJS.Signals = "SIGTERM"): boolean {
    if (!this.running || this.child.pid === undefined) return false;
    try {
      process.kill(-this.child.pid, signal);
      return true;
    } catch {
      return this.child.kill(signal);
    }
  }

  /** SIGTERM (or `signal`), then SIGKILL if it has not exited within `timeoutMs`. */
  async stop(options: StopOptions = {}): Promise<ExitInfo> {
    if (!this.running) return this.exited;
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.kill(options.signal ?? "SIGTERM");
    // A stopped (SIGSTOP) process only acts on the signal once it runs again.
    this.kill("SIGCONT");
    const timer = sleep(timeoutMs, "timeout" as const, { ref: false });
    if ((await Promise.race([this.exited, timer])) === "timeout") this.kill("SIGKILL");
    return this.exited;
  }

  /** Resolves with the first line that matches, or rejects on exit or timeout. */
  async waitForLine(match: (line: string) => boolean, timeoutMs: number, what = "the expected line"): Promise<string> {
    const found = this.buffer.last().find(match);
    if (found !== undefined) return found;
    return new Promise<string>((resolve, reject) => {
      const poll = setInterval(() => {
        const line = this.buffer.last(50).find(match);
        if (line !== undefined) finish(() => resolve(line));
      }, 20);
      const timer = setTimeout(
        () => finish(() => reject(new ProcessError(`${this.name} did not print ${what} within ${timeoutMs} ms`, this.name, this.lastLines()))),
        timeoutMs,
      );
      void this.exited.then((info) =>
        // Let the poll see lines that arrived together with the exit.
        setTimeout(() => finish(() => reject(new ProcessError(`${this.name} ${describeExit(info)} before printing ${what}`, this.name, this.lastLines()))), 25),
      );
      let done = false;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        clearInterval(poll);
        clearTimeout(timer);
        settle();
      };
    });
  }

  /** Polls `baseUrl + path` until it answers 200; fails early if the process exits. */
  async waitReady(baseUrl: string, options: WaitReadyOptions = {}): Promise<void> {
    await waitUntilReady({
      name: this.name,
      url: `${baseUrl.replace(/\/$/, "")}${options.path ?? "/readyz"}`,
      timeoutMs: options.timeoutMs ?? 30_000,
      intervalMs: options.intervalMs ?? 100,
      exited: this.exited,
      lastLines: () => this.lastLines(),
    });
  }
}

interface ReadyPoll {
  readonly name: string;
  readonly url: string;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly exited?: Promise<ExitInfo>;
  readonly lastLines?: () => readonly string[];
  /** Extra condition on a 200 answer's body. */
  readonly accept?: (body: string) => boolean;
}

/** Polls a URL until it answers 200 (and `accept` agrees), with a clear error otherwise. */
export async function waitUntilReady(poll: ReadyPoll): Promise<void> {
  const deadline = Date.now() + poll.timeoutMs;
  let lastAnswer = "no answer yet";
  let exit: ExitInfo | undefined;
  void poll.exited?.then((info) => (exit = info));
  for (;;) {
    if (exit) throw new ProcessError(`${poll.name} ${describeExit(exit)} before it was ready`, poll.name, poll.lastLines?.() ?? []);
    try {
      const res = await fetch(poll.url, { signal: AbortSignal.timeout(Math.min(2_000, poll.timeoutMs)) });
      const body = await res.text();
      if (res.status === 200 && (poll.accept?.(body) ?? true)) return;
      lastAnswer = `HTTP ${res.status} ${body.slice(0, 300)}`;
    } catch (err) {
      lastAnswer = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    }
    if (Date.now() >= deadline) {
      throw new ProcessError(
        `${poll.name} was not ready within ${poll.timeoutMs} ms: GET ${poll.url} -> ${lastAnswer}`,
        poll.name,
        poll.lastLines?.() ?? [],
      );
    }
    await sleep(poll.intervalMs);
  }
}

/** The processes of the platform, in the order a stack starts them. */
export const SERVICE_NAMES = [
  "zoho-sandbox",
  "webhook-inbox",
  "catalogue",
  "provisioning",
  "fulfilment",
  "notification",
  "gateway",
] as const;

export type ServiceName = (typeof SERVICE_NAMES)[number];

export const isServiceName = (value: string): value is ServiceName => (SERVICE_NAMES as readonly string[]).includes(value);

/** The built entry point of a service, relative to the repository root. */
export const serviceEntry = (name: ServiceName): string => `services/${name}/dist/main.js`;

/** Node's arguments for a platform process: the telemetry preload, then its entry. */
export const serviceArgs = (name: ServiceName): string[] => [...ServiceNodeFlags, "--import", "@t2m/platform/telemetry-register", serviceEntry(name)];

/** Set by the devstack for the platform's processes (read by @t2m/platform's runService); never set in a cluster. */
export const EXIT_WITH_PARENT_VARIABLE = "T2M_EXIT_WITH_PARENT";

export interface ServiceProcessOptions {
  readonly repoRoot: string;
  /** The complete environment of the child. */
  readonly env: NodeJS.ProcessEnv;
  readonly output?: OutputSink;
  readonly buffer?: LineBuffer;
}

/** Starts `node --import @t2m/platform/telemetry-register services/<name>/dist/main.js` from the repository root. */
export function spawnService(name: ServiceName, options: ServiceProcessOptions): ManagedProcess {
  const entry = join(options.repoRoot, serviceEntry(name));
  if (!existsSync(entry)) {
    throw new Error(`${serviceEntry(name)} does not exist: build first (npm run build, or npx tsc -b services/${name})`);
  }
  return ManagedProcess.spawn({
    name,
    command: process.execPath,
    args: serviceArgs(name),
    cwd: options.repoRoot,
    // runService exits when its stdin ends, i.e. when this process is gone.
    env: { ...options.env, [EXIT_WITH_PARENT_VARIABLE]: "1" },
    output: options.output,
    buffer: options.buffer,
    exitWithParent: true,
  });
}

/** True while a process with this pid exists (signal 0 checks without sending anything). */
export function processExists(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
