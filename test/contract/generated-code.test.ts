// The Protobuf contracts: lint-clean, and the committed generated code is
// exactly what `npm run generate` makes from them (never edited by hand).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
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
