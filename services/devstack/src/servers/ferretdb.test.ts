import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { REPO_ROOT } from "../config.js";
import { ensureFerretDbBinary, ferretDbBinaryPath, resolveGoBinary } from "./ferretdb.js";

describe("ensureFerretDbBinary without Go", () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.unstubAllEnvs();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("says how to get Go when the binary must be built", async () => {
    const repoRoot = mkdtempSync(join(tmpdir(), "t2m-repo-"));
    dirs.push(repoRoot);
    cpSync(join(REPO_ROOT, "services/devstack/ferretdb"), join(repoRoot, "services/devstack/ferretdb"), { recursive: true });
    vi.stubEnv("GO_BIN", "/nonexistent/go");
    await expect(ensureFerretDbBinary({ repoRoot })).rejects.toThrow(/GO_BIN=\/nonexistent\/go is not an executable file\. Install Go 1\.24/);
    expect(ferretDbBinaryPath(repoRoot)).toBe(join(repoRoot, ".cache/bin/ferretdb"));
  });

  it("finds go on PATH or in /usr/local/go/bin", () => {
    expect(() => resolveGoBinary({ GO_BIN: "/nonexistent/go" })).toThrow(/not an executable/);
    expect(resolveGoBinary({ PATH: "" })).toSatisfy((found: string | undefined) => found === undefined || found.endsWith("/go"));
  });
});
