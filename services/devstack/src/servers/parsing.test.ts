import { describe, expect, it } from "vitest";
import { needsRebuild } from "./ferretdb.js";
import { encodeBson, encodePing, parseReply, readOk } from "./mongo-probe.js";
import { parseNatsInfo, parsePortsFile, resolveNatsServerBinary } from "./nats.js";

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

describe("parseNatsInfo", () => {
  it("reads version and JetStream from the INFO line", () => {
    expect(parseNatsInfo('INFO {"server_id":"X","version":"2.9.10","jetstream":true,"max_payload":1048576}\r')).toEqual({
      jetstream: true,
      version: "2.9.10",
    });
    expect(parseNatsInfo('INFO {"version":"2.10.0"}')).toEqual({ jetstream: false, version: "2.10.0" });
    expect(parseNatsInfo("HTTP/1.1 400 Bad Request")).toBeUndefined();
    expect(parseNatsInfo("INFO {broken")).toBeUndefined();
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

describe("MongoDB wire probe encoding", () => {
  it("encodes {ping: 1, $db: 'admin'} as BSON", () => {
    const doc = encodeBson({ ping: 1, $db: "admin" });
    expect(doc.length).toBe(30);
    expect(doc.readInt32LE(0)).toBe(30);
    expect(doc.toString("hex")).toBe("1e0000001070696e67000100000002246462000600000061646d696e0000");
  });

  it("frames an OP_MSG and reads a reply's ok field", () => {
    const ping = encodePing(7);
    expect(ping.readInt32LE(0)).toBe(ping.length);
    expect(ping.readInt32LE(12)).toBe(2013);

    const okDoc = Buffer.from("11000000016f6b00000000000000f03f00", "hex"); // {ok: 1.0}
    expect(readOk(okDoc)).toBe(1);
    const header = Buffer.alloc(21);
    header.writeInt32LE(21 + okDoc.length, 0);
    header.writeInt32LE(99, 4);
    header.writeInt32LE(7, 8);
    header.writeInt32LE(2013, 12);
    expect(parseReply(Buffer.concat([header, okDoc]), 7)).toEqual({ ok: 1 });
    expect(parseReply(Buffer.concat([header, okDoc]), 8)).toBeUndefined();
  });
});
