import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { LineBuffer } from "./lines.js";
import { ManagedProcess, ProcessError, serviceArgs } from "./processes.js";

const node = (script: string, buffer?: LineBuffer) =>
  ManagedProcess.spawn({ name: "probe", command: process.execPath, args: ["-e", script], buffer });

describe("ManagedProcess", () => {
  it("captures stdout and stderr line by line and reports the exit", async () => {
    const seen: string[] = [];
    const proc = ManagedProcess.spawn({
      name: "probe",
      command: process.execPath,
      args: ["-e", 'console.log("one"); console.error("two"); process.stdout.write("three"); process.exitCode = 3'],
      output: (source, line, stream) => seen.push(`${source}:${stream}:${line}`),
    });
    expect(await proc.exited).toEqual({ code: 3, signal: null });
    expect(proc.running).toBe(false);
    expect(seen).toEqual(expect.arrayContaining(["probe:stdout:one", "probe:stderr:two", "probe:stdout:three"]));
    expect(proc.lastLines()).toHaveLength(3);
  });

  it("waits for a line, and fails with the last lines when the process exits first", async () => {
    const proc = node('console.log("booting"); setTimeout(() => console.log("PORT=1234"), 50); setTimeout(() => {}, 5000)');
    expect(await proc.waitForLine((l) => l.startsWith("PORT="), 5_000)).toBe("PORT=1234");
    await proc.stop();

    const dying = node('console.log("bad config"); process.exit(1)');
    const err = await dying.waitForLine((l) => l.startsWith("PORT="), 5_000, "its port").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessError);
    expect((err as Error).message).toMatch(/probe exited with code 1 before printing its port/);
    expect((err as Error).message).toContain("  | bad config");
  });

  it("stops with SIGTERM, and SIGKILLs a process that ignores it", async () => {
    const polite = node('process.on("SIGTERM", () => process.exit(0)); console.log("up"); setInterval(() => {}, 1000)');
    await polite.waitForLine((l) => l === "up", 5_000);
    expect(await polite.stop({ timeoutMs: 5_000 })).toEqual({ code: 0, signal: null });

    const stubborn = node('process.on("SIGTERM", () => console.log("ignoring")); console.log("up"); setInterval(() => {}, 1000)');
    await stubborn.waitForLine((l) => l === "up", 5_000);
    const started = Date.now();
    expect(await stubborn.stop({ timeoutMs: 300 })).toEqual({ code: null, signal: "SIGKILL" });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(stubborn.lastLines()).toContain("ignoring");
  });

  it("can be killed with SIGKILL at once", async () => {
    const proc = node('console.log("up"); setInterval(() => {}, 1000)');
    await proc.waitForLine((l) => l === "up", 5_000);
    expect(proc.kill("SIGKILL")).toBe(true);
    expect(await proc.exited).toEqual({ code: null, signal: "SIGKILL" });
    expect(proc.kill("SIGKILL")).toBe(false);
  });

  it("keeps history in a shared buffer across restarts", async () => {
    const buffer = new LineBuffer(10);
    await node('console.log("first")', buffer).exited;
    await node('console.log("second")', buffer).exited;
    expect(buffer.last()).toEqual(["first", "second"]);
  });

  it("gives a child a stdin pipe that ends when this process goes (exitWithParent)", async () => {
    const child = ManagedProcess.spawn({
      name: "probe",
      command: process.execPath,
      args: ["-e", 'process.stdin.on("end", () => { console.log("stdin ended"); process.exit(0) }); process.stdin.resume(); console.log("up")'],
      exitWithParent: true,
    });
    await child.waitForLine((l) => l === "up", 5_000);
    // What the child sees when this process dies, without dying.
    expect(child.closeStdin()).toBe(true);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lastLines()).toContain("stdin ended");

    const plain = node('process.stdin.on("end", () => console.log("end at once")); process.stdin.resume()');
    expect(plain.closeStdin()).toBe(false);
    expect(await plain.exited).toEqual({ code: 0, signal: null });
    expect(plain.lastLines()).toContain("end at once");
  });

  it("reports a command that cannot be started", async () => {
    const proc = ManagedProcess.spawn({ name: "ghost", command: "/nonexistent/binary" });
    const exit = await proc.exited;
    expect(exit.error).toMatch(/ENOENT/);
    expect(proc.running).toBe(false);
  });
});

describe("waitReady", () => {
  it("resolves once /readyz answers 200", async () => {
    let ready = false;
    const server = createServer((req, res) => {
      res.writeHead(req.url === "/readyz" && ready ? 200 : 503).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const proc = node("setInterval(() => {}, 1000)");
    setTimeout(() => (ready = true), 200);
    await proc.waitReady(url, { timeoutMs: 5_000, intervalMs: 50 });
    await proc.stop();
    server.close();
  });

  it("fails with the process's last lines when it exits or times out", async () => {
    const crashing = node('console.error("MONGODB_URL is required"); process.exit(1)');
    await expect(crashing.waitReady("http://127.0.0.1:9", { timeoutMs: 5_000 })).rejects.toThrow(
      /probe exited with code 1 before it was ready[\s\S]*MONGODB_URL is required/,
    );

    const silent = node('console.log("still booting"); setInterval(() => {}, 1000)');
    await expect(silent.waitReady("http://127.0.0.1:9", { timeoutMs: 300, intervalMs: 50 })).rejects.toThrow(
      /probe was not ready within 300 ms: GET http:\/\/127\.0\.0\.1:9\/readyz -> [\s\S]*still booting/,
    );
    await silent.stop();
  });
});

describe("serviceArgs", () => {
  it("preloads the telemetry register before the service's entry", () => {
    expect(serviceArgs("gateway")).toEqual(["--max-semi-space-size=2", "--max-old-space-size=256", "--import", "@t2m/platform/telemetry-register", "services/gateway/dist/main.js"]);
  });
});
