import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { paths, REPO_ROOT } from "../config.js";
import { isExecutable } from "./binaries.js";
import { GO_INSTALL_HINT, resolveGoBinary, type EnsureBinaryOptions } from "./ferretdb.js";

/** The Helm release the chart tests use; a binary of another version is rebuilt by the next ensureHelmBinary(). */
export const HELM_VERSION = "v3.22.0";
export const HELM_MODULE = "helm.sh/helm/v3/cmd/helm";

export function helmBinaryPath(repoRoot = REPO_ROOT): string {
  return join(paths(repoRoot).binDir, "helm");
}

export interface HelmBinary {
  readonly path: string;
  readonly built: boolean;
  readonly durationMs: number;
}

const builds = new Map<string, Promise<HelmBinary>>();

/**
 * Makes sure <repo>/.cache/bin/helm exists, building it with
 * `go install helm.sh/helm/v3/cmd/helm@v3.22.0` when missing (no npm or Debian
 * package has Helm; about 3.5 minutes on a fresh machine, near-instant from
 * Go's caches). `go install` writes into a temporary GOBIN that is then
 * renamed into place, so concurrent callers never see a half-written file.
 */
export function ensureHelmBinary(options: EnsureBinaryOptions = {}): Promise<HelmBinary> {
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const key = `${repoRoot}:${options.force === true}`;
  let build = builds.get(key);
  if (!build) {
    build = buildHelmIfMissing(repoRoot, options).finally(() => builds.delete(key));
    builds.set(key, build);
  }
  return build;
}

async function buildHelmIfMissing(repoRoot: string, options: EnsureBinaryOptions): Promise<HelmBinary> {
  const started = Date.now();
  const binary = helmBinaryPath(repoRoot);
  const exists = isExecutable(binary);
  const go = resolveGoBinary();
  if (exists && !options.force) {
    if (!go) {
      options.log?.(`warning: go was not found to check which Helm ${binary} is; using it as it is`);
      return { path: binary, built: false, durationMs: 0 };
    }
    if ((await helmModuleVersion(go, binary)) === HELM_VERSION) return { path: binary, built: false, durationMs: 0 };
  }
  if (!go) throw new Error(`Helm must be built with \`go install ${HELM_MODULE}@${HELM_VERSION}\`, but go was not found. ${GO_INSTALL_HINT}`);
  options.log?.(
    exists
      ? `rebuilding Helm ${HELM_VERSION} (${binary} is another version)…`
      : `building Helm ${HELM_VERSION} (first time: about 3.5 minutes while Go fetches and compiles it; later builds are cached)…`,
  );
  const binDir = paths(repoRoot).binDir;
  await mkdir(binDir, { recursive: true });
  const gobin = await mkdtemp(join(binDir, ".helm-build-"));
  const env = { ...process.env, GOBIN: gobin, PATH: [join(go, ".."), process.env.PATH ?? ""].join(delimiter) };
  const output: string[] = [];
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(go, ["install", `${HELM_MODULE}@${HELM_VERSION}`], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.on("data", (c: Buffer) => output.push(c.toString()));
      child.stderr.on("data", (c: Buffer) => output.push(c.toString()));
      child.once("error", reject);
      child.once("close", resolve);
    });
    if (code !== 0) throw new Error(`go install ${HELM_MODULE}@${HELM_VERSION} failed (exit ${code}):\n${output.join("").trim()}`);
    await rename(join(gobin, "helm"), binary);
  } finally {
    await rm(gobin, { recursive: true, force: true });
  }
  return { path: binary, built: true, durationMs: Date.now() - started };
}

/**
 * The helm.sh/helm/v3 module version compiled into the binary (`go version -m`),
 * e.g. "v3.22.0", or undefined when it cannot be read. (`helm version` says
 * only "v3.22" for a binary built with `go install`.)
 */
export function helmModuleVersion(go: string, binary: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(go, ["version", "-m", binary], { timeout: 10_000 }, (err, stdout) => {
      resolve(err ? undefined : /^\s*mod\s+helm\.sh\/helm\/v3\s+(\S+)/m.exec(stdout)?.[1]);
    });
  });
}
