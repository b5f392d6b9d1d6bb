// `npm run servers:build`: make sure the servers tests and `npm start` need
// are here — builds the FerretDB wrapper when missing or stale, checks
// nats-server, builds Helm (for the chart tests) when missing — and prints
// their versions. Exits 1 with a hint otherwise.
import { execFileSync } from "node:child_process";
import { ensureFerretDbBinary, resolveGoBinary } from "./servers/ferretdb.js";
import { ensureHelmBinary, helmModuleVersion } from "./servers/helm.js";
import { resolveNatsServerBinary } from "./servers/nats.js";

const log = (message: string) => process.stdout.write(`servers: ${message}\n`);

const version = (bin: string, args: string[]): string => {
  try {
    return execFileSync(bin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim().split("\n")[0] ?? "";
  } catch (err) {
    return `(could not run: ${err instanceof Error ? err.message : String(err)})`;
  }
};

/** FerretDB's module version as compiled into the binary (`go version -m`). */
const ferretDbVersion = (go: string | undefined, binary: string): string => {
  if (!go) return "unknown (go not found)";
  try {
    const info = execFileSync(go, ["version", "-m", binary], { encoding: "utf8" });
    return /\bdep\s+github\.com\/FerretDB\/FerretDB\s+(\S+)/.exec(info)?.[1] ?? "unknown";
  } catch {
    return "unknown (go version -m failed)";
  }
};

try {
  const nats = resolveNatsServerBinary();
  log(`nats-server: ${nats} (${version(nats, ["--version"])})`);
  const binary = await ensureFerretDbBinary({ log, force: process.argv.includes("--force") });
  log(`ferretdb: ${binary.path} (FerretDB ${ferretDbVersion(resolveGoBinary(), binary.path)})${binary.built ? `, built in ${(binary.durationMs / 1000).toFixed(1)} s` : ", up to date"}`);
  const helm = await ensureHelmBinary({ log, force: process.argv.includes("--force") });
  const go = resolveGoBinary();
  log(`helm: ${helm.path} (Helm ${(go && (await helmModuleVersion(go, helm.path))) ?? "unknown"})${helm.built ? `, built in ${(helm.durationMs / 1000).toFixed(1)} s` : ", up to date"}`);
} catch (err) {
  process.stderr.write(`servers: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
