import { describe, expect, it } from "vitest";
import { needsRebuild } from "./ferretdb.js";
import { parsePortsFile, resolveNatsServerBinary } from "./nats.js";

describe("parsePortsFile", () => {
  it("reads the client and monitoring addresses", () => {
    expect(parsePortsFile('{"nats":["nats://127.0.0.1:41689"],"monitoring":["http://127.0.0.1:34185"]}')).toEqual({
      url: "nats://127.0.0.1:41689",
      monitorUrl: "http://127.0.0.1:34185",
    });
  });

  it("explains what is wrong with a bad file", () => {
    expect(() => parsePortsFile("")).toThrow(/not JSON/);
    expect(() => parsePortsFile('{"monitoring":["http://x"]}')).toThrow(/no "nats" address/);
    expect(() => parsePortsFile('{"nats":["nats://x"]}')).toThrow(/no "monitoring" address/);
  });
});

describe("resolveNatsServerBinary", () => {
  it("names the install command when nats-server is nowhere", () => {
    expect(() => resolveNatsServerBinary({ NATS_SERVER_BIN: "/nonexistent/nats-server" })).toThrow(/apt-get install -y nats-server/);
  });
});

describe("needsRebuild", () => {
  it("rebuilds a missing binary or one older than any source", () => {
    expect(needsRebuild(undefined, [1, 2])).toBe(true);
    expect(needsRebuild(10, [1, 2, 3])).toBe(false);
    expect(needsRebuild(10, [1, 11])).toBe(true);
    expect(needsRebuild(10, [undefined, 5])).toBe(false);
  });
});
