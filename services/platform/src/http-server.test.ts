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
const server = createHttpServer((_req, res) => res.writeHead(418).end("app"), { registry: metrics.registry, readiness: checks });
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

  it("passes everything else to the application", async () => {
    const res = await fetch(`${base}/anything`);
    expect(res.status).toBe(418);
    expect(await res.text()).toBe("app");
  });
});
