import { describe, expect, it } from "vitest";
import { createConsoleSink, isNoise } from "./output.js";

describe("createConsoleSink", () => {
  it("prints readable, prefixed lines and hides FerretDB's routine chatter", () => {
    const out: string[] = [];
    const sink = createConsoleSink({ colour: false, width: 8, write: (t) => out.push(t) });
    sink("gateway", JSON.stringify({ level: 30, time: "2026-11-27T10:11:12.345Z", msg: "gateway listening" }), "stdout");
    sink("ferretdb", 'time=2026-11-27T00:49:44.614Z level=WARN msg="Response header: length: 121" name="x"', "stderr");
    sink("ferretdb", 'time=2026-11-27T00:49:44.642Z level=WARN msg="Connection stopped" error=panic', "stderr");
    expect(out).toEqual(["gateway  | 10:11:12.345 INFO  gateway listening\n", "ferretdb | 00:49:44.642 WARN  Connection stopped error=panic\n"]);
  });

  it("treats only FerretDB's warnings about responses and disconnects as noise", () => {
    expect(isNoise("ferretdb", 'level=WARN msg="Connection stopped" error="read: connection reset by peer"')).toBe(true);
    expect(isNoise("ferretdb", 'level=ERROR+1 msg="runtime error"')).toBe(false);
    expect(isNoise("gateway", 'level=WARN msg="Response header"')).toBe(false);
  });
});
