// `npm start`'s first step: run `npm install` only when node_modules does not
// match the lockfile and the package.json files, and then with
// --loglevel=error. npm runs on the machine's Node (20 here), and every
// package that asks for Node >= 22 would otherwise print an EBADENGINE
// warning (about 40 of them), burying the lines that matter; errors still show.
// Plain JavaScript for any Node >= 18: it runs before anything is built.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const DEPENDENCY_FIELDS = ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"];

/**
 * Why node_modules does not match, or undefined when it does.
 * lock: package-lock.json; installed: node_modules/.package-lock.json (npm's
 * record of what it installed), or undefined; manifests: each workspace's
 * package.json by its path in the lockfile ("" for the root).
 */
export function installProblem(lock, installed, manifests) {
  if (!installed) return "node_modules has not been installed";
  const locked = lock.packages ?? {};
  const present = installed.packages ?? {};
  for (const [path, manifest] of Object.entries(manifests)) {
    const entry = locked[path];
    if (!entry) return `${path || "package.json"} is not in package-lock.json`;
    for (const field of DEPENDENCY_FIELDS) {
      if (JSON.stringify(sorted(manifest[field])) !== JSON.stringify(sorted(entry[field]))) {
        return `${path ? `${path}/` : ""}package.json's ${field} differ from package-lock.json`;
      }
    }
  }
  for (const [path, entry] of Object.entries(locked)) {
    if (!path.startsWith("node_modules/")) continue;
    const have = present[path];
    if (!have) {
      // Optional packages for other platforms (e.g. esbuild's other binaries) are never installed.
      if (entry.optional || entry.devOptional) continue;
      return `${path.slice("node_modules/".length)} is missing`;
    }
    if (entry.link ? have.resolved !== entry.resolved : have.version !== entry.version) {
      return `${path.slice("node_modules/".length)} is ${have.version ?? have.resolved}, the lockfile wants ${entry.version ?? entry.resolved}`;
    }
  }
  return undefined;
}

const sorted = (record) => (record ? Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b))) : {});

/** Reads the repository's lockfiles and manifests. */
export function readInstallState(root) {
  const lock = readJson(join(root, "package-lock.json"));
  const hidden = join(root, "node_modules/.package-lock.json");
  const installed = existsSync(hidden) ? readJson(hidden) : undefined;
  const manifests = { "": readJson(join(root, "package.json")) };
  for (const workspace of manifests[""].workspaces ?? []) {
    const path = join(root, workspace, "package.json");
    if (existsSync(path)) manifests[workspace] = readJson(path);
  }
  return { lock, installed, manifests };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
  const { lock, installed, manifests } = readInstallState(root);
  const problem = installProblem(lock, installed, manifests);
  if (problem === undefined) {
    process.stdout.write("dependencies: up to date with package-lock.json\n");
  } else {
    process.stdout.write(`dependencies: ${problem}; running npm install…\n`);
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const result = spawnSync(npm, ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: root, stdio: "inherit" });
    if (result.error) {
      process.stderr.write(`dependencies: could not run npm: ${result.error.message}\n`);
      process.exit(1);
    }
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
}
