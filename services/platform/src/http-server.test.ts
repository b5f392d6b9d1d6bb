import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeServer, createHttpServer, listen, type ReadinessCheck } from "./http-server.js";
import { createMetrics } from "./metrics.js";

let healthy = true;
const checks: ReadinessCheck[] = [
  { name: "always", check: async () => undefined },
  {
    name: "toggle",
    check: async () => {
      if (!healthy) throw new Error("connection refused");
    },
  },
];
const metrics = createMetrics("http-test");
const server = createHttpServer((_req, res) => res.writeHead(418).end("app"), {
  registry: metrics.registry,
  readiness: checks,
  clientErrorProblem: (status) => ({ title: "refused", status }),
});
let base = "";

beforeAll(async () => {
  base = await listen(server, 0, "127.0.0.1");
});
afterAll(() => closeServer(server));

describe("createHttpServer", () => {
  it("answers liveness without consulting dependencies", async () => {
    healthy = false;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it("reports readiness per dependency", async () => {
    healthy = false;
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ ready: false, checks: { always: "ok", toggle: "connection refused" } });
    healthy = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it("serves Prometheus metrics with the service label", async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(await res.text()).toMatch(/process_cpu_seconds_total\{service="http-test"\}/);
  });

  it("answers requests the HTTP parser refuses with problem+json when asked to", async () => {
    const { connect } = await import("node:net");
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(Number(new URL(base).port), "127.0.0.1", () => socket.write(text));
        let answer = "";
        socket.on("data", (d) => (answer += d.toString()));
        socket.on("close", () => resolve(answer));
      });
    const bad = await raw("GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n");
    expect(bad).toMatch(/^HTTP\/1.1 400 /);
    expect(bad).toContain("application/problem+json");
    expect(bad).toContain('{"title":"refused","status":400}');
    const big = await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1.1 431 /);
  });

  it("passes everything else to the application", async () => {
    const res = await fetch(`${base}/anything`);
    expect(res.status).toBe(418);
    expect(await res.text()).toBe("app");
  });
});
