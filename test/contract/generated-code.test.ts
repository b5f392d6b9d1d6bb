// The Protobuf contracts: lint-clean, and the committed generated code is
// exactly what `npm run generate` makes from them (never edited by hand).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)).replace(/\/dist\/?$/, ""));
const buf = join(root, "node_modules/.bin/buf");
const out = mkdtempSync(join(tmpdir(), "t2m-gen-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe("proto/", () => {
  it("passes buf lint", () => {
    expect(() => execFileSync(buf, ["lint"], { cwd: root, stdio: "pipe" })).not.toThrow();
  });

  it("matches the committed generated code", () => {
    execFileSync(buf, ["generate", "-o", out], { cwd: root, stdio: "pipe", env: { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}` } });
    const fresh = join(out, "proto/gen");
    const committed = join(root, "proto/gen");
    const freshFiles = files(fresh).map((f) => relative(fresh, f)).sort();
    expect(freshFiles).toEqual(files(committed).map((f) => relative(committed, f)).sort());
    for (const file of freshFiles) {
      expect(readFileSync(join(committed, file), "utf8"), file).toBe(readFileSync(join(fresh, file), "utf8"));
    }
  });
});

describe("services/platform/proto (gRPC health and reflection)", () => {
  it("matches the committed generated code", () => {
    const outDir = join(out, "platform");
    execFileSync(buf, ["generate", "--template", "services/platform/proto/buf.gen.yaml", "-o", outDir], {
      cwd: root,
      stdio: "pipe",
      env: { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}` },
    });
    const fresh = join(outDir, "services/platform/src/gen");
    const committed = join(root, "services/platform/src/gen");
    const freshFiles = files(fresh).map((f) => relative(fresh, f)).sort();
    expect(freshFiles).toEqual(files(committed).map((f) => relative(committed, f)).sort());
    for (const file of freshFiles) expect(readFileSync(join(committed, file), "utf8"), file).toBe(readFileSync(join(fresh, file), "utf8"));
  });
});

/**
 * The commits proto/ must stay compatible with: the main branch's last
 * commit before this work (the merge base with main, or HEAD's first parent
 * on main itself, as in CI's fresh clone of a submission) and HEAD (for
 * uncommitted changes). T2M_BUF_BREAKING_AGAINST names another ref.
 */
function baseRefs(): string[] {
  const git = (...args: string[]) => {
    try {
      return execFileSync("git", args, { cwd: root, stdio: "pipe" }).toString().trim();
    } catch {
      return undefined;
    }
  };
  if (process.env.T2M_BUF_BREAKING_AGAINST) return [process.env.T2M_BUF_BREAKING_AGAINST];
  const head = git("rev-parse", "HEAD");
  const refs = new Set<string>();
  if (head) refs.add(head);
  const parent = git("rev-parse", "--verify", "--quiet", "HEAD^1");
  const mainRef = ["main", "origin/main"].map((r) => git("rev-parse", "--verify", "--quiet", r)).find(Boolean);
  const onMain = mainRef !== undefined && mainRef === head;
  if (mainRef && !onMain) {
    const base = git("merge-base", "HEAD", mainRef);
    if (base) refs.add(base);
  } else if (parent) {
    refs.add(parent);
  }
  return [...refs];
}

describe("proto/ compatibility (buf breaking)", () => {
  it.each(baseRefs())("breaks nothing against %s", (ref) => {
    const dir = join(out, `against-${ref.slice(0, 12)}`);
    mkdirSync(dir, { recursive: true });
    const listed = execFileSync("git", ["ls-tree", "-r", "--name-only", ref, "--", "proto", "buf.yaml"], { cwd: root }).toString();
    if (!listed.includes("buf.yaml") || !/\.proto$/m.test(listed)) return; // no contracts there yet
    const archive = execFileSync("git", ["archive", ref, "buf.yaml", "proto"], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
    const result = spawnSync(buf, ["breaking", "--against", dir], { cwd: root, encoding: "utf8" });
    expect(result.status, `buf breaking against ${ref}:\n${result.stdout}${result.stderr}`).toBe(0);
  });
});
