import { describe, expect, it } from "vitest";
import { formatLogLine, nameColour, prefixLine, wantsColour } from "./log-format.js";

describe("formatLogLine", () => {
  it("turns a platform pino line into a short readable one", () => {
    const line = JSON.stringify({
      level: 30,
      time: "2026-11-27T10:11:12.345Z",
      service: "catalogue",
      name: "catalogue",
      pid: 42,
      hostname: "box",
      url: "http://127.0.0.1:4101",
      msg: "catalogue listening",
    });
    expect(formatLogLine(line)).toBe("10:11:12.345 INFO  catalogue listening url=http://127.0.0.1:4101");
  });

  it("shows warnings and errors with the error's message and first frame", () => {
    const line = JSON.stringify({
      level: 50,
      time: "2026-11-27T10:11:12.345Z",
      msg: "handler failed; will redeliver",
      orderId: "T2M 1",
      deliveryCount: 2,
      err: { type: "Error", message: "zoho down", stack: "Error: zoho down\n    at call (file.js:1:2)\n    at x" },
    });
    expect(formatLogLine(line)).toBe(
      '10:11:12.345 ERROR handler failed; will redeliver orderId="T2M 1" deliveryCount=2 error=Error: zoho down (at call (file.js:1:2))',
    );
  });

  it("shortens long values and prints nested objects as JSON", () => {
    const line = JSON.stringify({ level: 40, time: 0, msg: "m", big: "x".repeat(500), obj: { a: 1 } });
    const out = formatLogLine(line);
    expect(out).toMatch(/^00:00:00\.000 WARN {2}m big=x+… obj=\{"a":1\}$/);
    expect(out.length).toBeLessThan(200);
  });

  it("leaves anything that is not a pino line unchanged", () => {
    for (const line of ["plain text", "[1] 2026/11/27 [INF] Server is ready", '{"not":"pino"}', "{broken json}", "[1,2]"]) {
      expect(formatLogLine(line)).toBe(line);
    }
  });

  it("adds ANSI colours only when asked", () => {
    const line = JSON.stringify({ level: 30, time: "2026-11-27T10:11:12.345Z", msg: "hi" });
    expect(formatLogLine(line, true)).toContain("\u001b[32mINFO \u001b[0m");
    expect(formatLogLine(line, false)).not.toContain("\u001b");
  });
});

describe("prefixLine", () => {
  it("pads the process name into a column", () => {
    expect(prefixLine("gateway", "hello", { width: 10 })).toBe("gateway    | hello");
  });

  it("gives each name a stable colour", () => {
    expect(nameColour("gateway")).toBe(nameColour("gateway"));
    expect(prefixLine("gateway", "x", { colour: true })).toContain(`\u001b[${nameColour("gateway")}m`);
  });
});

describe("wantsColour", () => {
  it("follows the TTY, NO_COLOR and FORCE_COLOR", () => {
    expect(wantsColour({ isTTY: true }, {})).toBe(true);
    expect(wantsColour({ isTTY: false }, {})).toBe(false);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(wantsColour({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
  });
});

describe("formatLogLine for the servers", () => {
  it("shortens FerretDB's slog lines", () => {
    expect(
      formatLogLine('time=2026-11-27T00:49:32.267Z level=ERROR+1 msg="runtime error: slice bounds out of range [:3:2]" name="// a -> b " error=<nil>'),
    ).toBe('00:49:32.267 ERROR runtime error: slice bounds out of range [:3:2] error=<nil>');
    expect(formatLogLine('time=2026-11-27T00:49:32.268Z level=WARN msg="Connection stopped" conn="x -> y"')).toBe(
      '00:49:32.268 WARN  Connection stopped conn="x -> y"',
    );
  });

  it("shortens nats-server's lines", () => {
    expect(formatLogLine("[10703] 2026/11/27 00:35:29.627927 [INF] Server is ready")).toBe("00:35:29.627 INFO  Server is ready");
    expect(formatLogLine("[10703] 2026/11/27 00:35:29.627927 [WRN] slow consumer")).toBe("00:35:29.627 WARN  slow consumer");
  });

  it("drops span ids and all-zero trace ids", () => {
    const zero = JSON.stringify({ level: 30, time: 0, msg: "m", traceId: "0".repeat(32), spanId: "0".repeat(16) });
    expect(formatLogLine(zero)).toBe("00:00:00.000 INFO  m");
    const real = JSON.stringify({ level: 30, time: 0, msg: "m", traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" });
    expect(formatLogLine(real)).toBe("00:00:00.000 INFO  m traceId=4bf92f3577b34da6a3ce929d0e0e4736");
  });
});
