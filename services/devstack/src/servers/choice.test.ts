import { describe, expect, it } from "vitest";
import { chooseServers, chooseStore, serversSetting, storeSetting } from "./choice.js";

describe("chooseServers", () => {
  it("uses containers where a Docker engine answers, local processes elsewhere", () => {
    expect(chooseServers("auto", { answers: true })).toEqual({ choice: "containers", reason: "a Docker engine answers" });
    expect(chooseServers("auto", { answers: false })).toEqual({ choice: "local", reason: "no Docker engine answers" });
  });

  it("does what it is told, and says why it cannot", () => {
    expect(chooseServers("local", { answers: true }).choice).toBe("local");
    expect(chooseServers("containers", { answers: true }).choice).toBe("containers");
    expect(() => chooseServers("containers", { answers: false, detail: "Could not find a working container runtime strategy" })).toThrow(
      /DEVSTACK_SERVERS=containers\), but no Docker engine answers \(Could not find a working container runtime strategy\)/,
    );
  });

  it("reads DEVSTACK_SERVERS", () => {
    expect(serversSetting({})).toBe("auto");
    expect(serversSetting({ DEVSTACK_SERVERS: "" })).toBe("auto");
    expect(serversSetting({ DEVSTACK_SERVERS: "containers" })).toBe("containers");
    expect(() => serversSetting({ DEVSTACK_SERVERS: "docker" })).toThrow(/expected one of auto, local, containers/);
  });
});

describe("chooseStore", () => {
  const url = "postgres://postgres@127.0.0.1:5432/postgres";
  it("puts FerretDB on PostgreSQL when it answers, on SQLite otherwise", () => {
    expect(chooseStore("auto", { answers: true, url })).toEqual({ choice: "postgresql", reason: "PostgreSQL answers" });
    expect(chooseStore("auto", { answers: false, url })).toEqual({ choice: "sqlite", reason: "no PostgreSQL answers" });
  });

  it("does what it is told, and says why it cannot", () => {
    expect(chooseStore("sqlite", { answers: true, url }).choice).toBe("sqlite");
    expect(() => chooseStore("postgresql", { answers: false, url, detail: "ECONNREFUSED" })).toThrow(
      "FerretDB on PostgreSQL was asked for, but postgres://postgres@127.0.0.1:5432/postgres does not answer (ECONNREFUSED).",
    );
  });

  it("reads DEVSTACK_STORE", () => {
    expect(storeSetting({})).toBe("auto");
    expect(storeSetting({ DEVSTACK_STORE: "sqlite" })).toBe("sqlite");
    expect(() => storeSetting({ DEVSTACK_STORE: "mysql" })).toThrow(/expected one of auto, postgresql, sqlite/);
  });
});
