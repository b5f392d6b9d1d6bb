import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { mongoUrlWithDatabase, paths, REPO_ROOT } from "../config.js";
import { ManagedProcess, ProcessError, type OutputSink } from "../processes.js";
import { findExecutable, isExecutable, mtimeMs } from "./binaries.js";
import { probeMongo } from "./mongo-probe.js";

/** The files the wrapper is built from; a binary older than any of them is rebuilt. */
export const FERRETDB_SOURCES = ["main.go", "go.mod", "go.sum"] as const;

export const GO_INSTALL_HINT =
  "Install Go 1.24 or newer (https://go.dev/dl/; CI machines have it in /usr/local/go/bin) and make sure `go` is on PATH, " +
  "or set GO_BIN to the go binary.";

export function ferretDbBinaryPath(repoRoot = REPO_ROOT): string {
  return join(paths(repoRoot).binDir, "ferretdb");
}

/** `go`: GO_BIN, else on PATH, else /usr/local/go/bin/go. */
export function resolveGoBinary(env: Record<string, string | undefined> = process.env): string | undefined {
  if (env.GO_BIN) {
    if (!isExecutable(env.GO_BIN)) throw new Error(`GO_BIN=${env.GO_BIN} is not an executable file. ${GO_INSTALL_HINT}`);
    return env.GO_BIN;
  }
  return findExecutable("go", env.PATH ?? "", ["/usr/local/go/bin", join(process.env.HOME ?? "/root", "go/bin"), "/usr/lib/go/bin"]);
}

/** Pure: rebuild when the binary is missing or older than any source file. */
export function needsRebuild(binaryMtime: number | undefined, sourceMtimes: readonly (number | undefined)[]): boolean {
  if (binaryMtime === undefined) return true;
  return sourceMtimes.some((m) => m !== undefined && m > binaryMtime);
}

export interface EnsureBinaryOptions {
  readonly repoRoot?: string;
  /** Rebuild even when the binary looks current. */
  readonly force?: boolean;
  /** Progress messages ("building FerretDB…"). */
  readonly log?: (message: string) => void;
}

export interface FerretDbBinary {
  readonly path: string;
  readonly built: boolean;
  readonly durationMs: number;
}

const builds = new Map<string, Promise<FerretDbBinary>>();

/**
 * Makes sure <repo>/.cache/bin/ferretdb exists and is newer than the wrapper's
 * sources, building it with `go build` in services/devstack/ferretdb when not.
 * The binary is written under a temporary name and renamed, so concurrent
 * builders (parallel test files) never see a half-written file.
 */
export function ensureFerretDbBinary(options: EnsureBinaryOptions = {}): Promise<FerretDbBinary> {
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const key = `${repoRoot}:${options.force === true}`;
  let build = builds.get(key);
  if (!build) {
    build = buildIfNeeded(repoRoot, options).finally(() => builds.delete(key));
    builds.set(key, build);
  }
  return build;
}

async function buildIfNeeded(repoRoot: string, options: EnsureBinaryOptions): Promise<FerretDbBinary> {
  const started = Date.now();
  const binary = ferretDbBinaryPath(repoRoot);
  const sourceDir = paths(repoRoot).ferretDbSource;
  const sourceMtimes = FERRETDB_SOURCES.map((f) => mtimeMs(join(sourceDir, f)));
  if (sourceMtimes.every((m) => m === undefined)) throw new Error(`FerretDB wrapper sources not found in ${sourceDir}`);
  const binaryMtime = mtimeMs(binary);
  if (!options.force && !needsRebuild(binaryMtime, sourceMtimes)) return { path: binary, built: false, durationMs: 0 };

  const go = resolveGoBinary();
  if (!go) {
    if (binaryMtime !== undefined && !options.force) {
      options.log?.(`warning: ${binary} is older than its sources, but go was not found to rebuild it; using it as it is`);
      return { path: binary, built: false, durationMs: 0 };
    }
    throw new Error(`FerretDB must be built from services/devstack/ferretdb, but go was not found. ${GO_INSTALL_HINT}`);
  }
  options.log?.(
    binaryMtime === undefined
      ? "building FerretDB (first time: about 2 minutes while Go fetches and compiles it; later builds are cached)…"
      : "rebuilding FerretDB (its sources changed)…",
  );
  await mkdir(join(binary, ".."), { recursive: true });
  const temporary = `${binary}.tmp-${process.pid}-${Date.now()}`;
  const goDir = join(go, "..");
  const env = { ...process.env, PATH: [goDir, process.env.PATH ?? ""].join(delimiter) };
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(go, ["build", "-o", temporary, "."], { cwd: sourceDir, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (c: Buffer) => output.push(c.toString()));
    child.stderr.on("data", (c: Buffer) => output.push(c.toString()));
    child.once("error", reject);
    child.once("close", resolve);
  });
  if (code !== 0) {
    await rm(temporary, { force: true });
    throw new Error(`go build of FerretDB failed (exit ${code}) in ${sourceDir}:\n${output.join("").trim()}`);
  }
  await rename(temporary, binary);
  return { path: binary, built: true, durationMs: Date.now() - started };
}

export interface FerretDbOptions {
  /** SQLite files go here (created if missing); a temporary directory (removed on stop) when omitted. Unused with PostgreSQL. */
  readonly dataDir?: string;
  /** host:port to listen on; 127.0.0.1:0 (a free port) by default. */
  readonly listen?: string;
  /** Use the PostgreSQL handler with this URL instead of SQLite. */
  readonly postgresqlUrl?: string;
  /** The binary; ensureFerretDbBinary() when omitted. */
  readonly bin?: string;
  readonly readyTimeoutMs?: number;
  readonly output?: OutputSink;
  readonly name?: string;
  readonly log?: (message: string) => void;
}

export interface FerretDb {
  /** The server's URI without a database, e.g. mongodb://127.0.0.1:41234/ */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** SQLite's directory ("" on PostgreSQL). */
  readonly dataDir: string;
  /** The PostgreSQL URL it runs on, or undefined on SQLite. */
  readonly postgresqlUrl: string | undefined;
  readonly process: ManagedProcess;
  /** `url` with a database name, e.g. mongodb://127.0.0.1:41234/t2mobile */
  databaseUrl(database: string): string;
  stop(): Promise<void>;
  /** Starts FerretDB again on the same port with the same data (after a crash or stop()). */
  startAgain(options?: { readonly output?: OutputSink }): Promise<FerretDb>;
}

/** Starts the FerretDB wrapper and waits until it answers a MongoDB ping. */
export async function startFerretDb(options: FerretDbOptions = {}): Promise<FerretDb> {
  const bin = options.bin ?? (await ensureFerretDbBinary({ log: options.log })).path;
  if (!existsSync(bin)) throw new Error(`FerretDB binary ${bin} does not exist`);
  const temporary = options.dataDir === undefined && options.postgresqlUrl === undefined;
  const dataDir = options.dataDir ?? (temporary ? await mkdtemp(join(tmpdir(), "t2m-ferretdb-")) : "");
  const name = options.name ?? "ferretdb";
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  // -exit-with-parent: it shuts down when the stdin pipe closes, i.e. when this process dies.
  const args = ["-listen", options.listen ?? "127.0.0.1:0", "-exit-with-parent"];
  if (options.postgresqlUrl) args.push("-postgresql-url", options.postgresqlUrl);
  else args.push("-sqlite-dir", dataDir);
  const child = ManagedProcess.spawn({ name, command: bin, args, output: options.output, exitWithParent: true });
  const cleanup = async () => {
    await child.stop({ timeoutMs: 10_000 });
    if (temporary) await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    const started = Date.now();
    const line = await child.waitForLine((l) => l.startsWith("FERRETDB_URI="), timeoutMs, "FERRETDB_URI=…");
    const url = line.slice("FERRETDB_URI=".length).trim();
    const address = /^mongodb:\/\/(?:[^@/]*@)?([^:/]+):(\d+)/.exec(url);
    if (!address?.[1] || !address[2]) throw new ProcessError(`FerretDB printed an unexpected URI: ${url}`, name, child.lastLines());
    const host = address[1];
    const port = Number(address[2]);
    for (;;) {
      const probe = await probeMongo(host, port, 1_000);
      if (probe.kind === "mongodb" && probe.ok) break;
      if (child.exitInfo) throw new ProcessError("FerretDB stopped before it answered a ping", name, child.lastLines());
      if (Date.now() - started > timeoutMs) {
        throw new ProcessError(`FerretDB did not answer a MongoDB ping on ${host}:${port} within ${timeoutMs} ms`, name, child.lastLines());
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const startAgain = async (again: { readonly output?: OutputSink } = {}): Promise<FerretDb> => {
      const next = await startFerretDb({
        ...options,
        bin,
        dataDir: options.postgresqlUrl ? undefined : dataDir,
        listen: `${host}:${port}`,
        output: again.output ?? options.output,
      });
      return temporary ? removingOnStop(next, dataDir) : next;
    };
    return {
      url,
      host,
      port,
      dataDir,
      postgresqlUrl: options.postgresqlUrl,
      process: child,
      databaseUrl: (db) => mongoUrlWithDatabase(url, db),
      stop: cleanup,
      startAgain,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** A temporary directory belongs to the first server started in it: whichever server runs there last removes it on stop(). */
function removingOnStop(server: FerretDb, dir: string): FerretDb {
  return {
    ...server,
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    },
    startAgain: async (options) => removingOnStop(await server.startAgain(options), dir),
  };
}
