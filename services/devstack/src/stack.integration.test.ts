import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFerretDbBinary } from "./servers/ferretdb.js";
import { startStack, type Stack, type StackProcessName } from "./stack.js";
import type { ExitInfo } from "./processes.js";
import { processExists } from "./processes.js";

// The stack's mechanics, with the one process this package owns (webhook-inbox);
// whole-platform stacks are exercised by the end-to-end tests under test/.



describe("startStack", () => {
  let stack: Stack;
  const unexpected: Array<{ name: StackProcessName; exit: ExitInfo }> = [];

  beforeAll(async () => {
    await ensureFerretDbBinary();
    stack = await startStack({
      services: ["webhook-inbox"],
      env: { NATS_ACK_WAIT_MS: "2000" },
      onUnexpectedExit: (name, exit) => void unexpected.push({ name, exit }),
    });
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it("starts its own NATS and FerretDB and the process, on free ports", async () => {
    expect(stack.natsUrl).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.mongodbUrl).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/t2mobile$/);
    expect(stack.urls["webhook-inbox"]).not.toBe("http://127.0.0.1:4106");
    expect(stack.isRunning("nats") && stack.isRunning("ferretdb") && stack.isRunning("webhook-inbox")).toBe(true);
    expect((await fetch(`${stack.urls["webhook-inbox"]}/readyz`)).status).toBe(200);
    expect(stack.env["webhook-inbox"].T2MOBILE_WEBHOOK_SECRET).toBe(stack.webhookSecret);
    expect(stack.webhookUrl).toBe(`${stack.urls["webhook-inbox"]}/webhooks/t2mobile`);
    expect(stack.env.fulfilment.NATS_ACK_WAIT_MS).toBe("2000");
  });

  it("survives a SIGKILL and starts the process again on the same port, keeping its log", async () => {
    const url = stack.urls["webhook-inbox"];
    const firstPid = stack.pid("webhook-inbox");
    expect(await stack.kill("webhook-inbox", "SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
    expect(stack.isRunning("webhook-inbox")).toBe(false);
    await expect(fetch(`${url}/readyz`)).rejects.toThrow();

    await stack.start("webhook-inbox");
    expect(stack.pid("webhook-inbox")).not.toBe(firstPid);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(stack.logs("webhook-inbox").filter((l) => l.startsWith("[devstack] started")).length).toBe(2);
    expect(unexpected).toEqual([]);
  });

  it("restarts with extra env, and reports a process that dies on its own", async () => {
    await stack.restart("webhook-inbox", { env: { LOG_LEVEL: "debug" } });
    expect(stack.env["webhook-inbox"].LOG_LEVEL).toBe("debug");
    await stack.restart("webhook-inbox");
    expect(stack.env["webhook-inbox"].LOG_LEVEL).toBe("info");

    process.kill(stack.pid("webhook-inbox")!, "SIGKILL");
    await expect.poll(() => unexpected.length).toBe(1);
    expect(unexpected[0]).toEqual({ name: "webhook-inbox", exit: { code: null, signal: "SIGKILL" } });
    await stack.start("webhook-inbox");
  });

  it("stops and starts its servers again on the same ports, keeping their data", async () => {
    const { natsUrl, mongodbUrl } = stack;
    await stack.stopServer("ferretdb");
    await stack.stopServer("nats");
    expect(stack.isRunning("ferretdb") || stack.isRunning("nats")).toBe(false);
    await stack.startServer("nats");
    await stack.startServer("ferretdb");
    expect(stack.natsUrl).toBe(natsUrl);
    expect(stack.mongodbUrl).toBe(mongodbUrl);
    expect(stack.isRunning("ferretdb") && stack.isRunning("nats")).toBe(true);
    const health = await fetch(`${stack.natsMonitorUrl}/healthz?js-enabled-only=true`);
    expect(health.status).toBe(200);
    expect(unexpected).toHaveLength(1);
  });

  it("stops everything, leaving no process and no temporary data behind", async () => {
    const pids = (["nats", "ferretdb", "webhook-inbox"] as const).map((n) => stack.pid(n));
    expect(pids.every(processExists)).toBe(true);
    await stack.stop();
    expect(pids.some(processExists)).toBe(false);
    expect(existsSync(stack.dataDir)).toBe(false);
    await stack.stop(); // idempotent
  });
});

describe("startStack failures", () => {
  it("stops what it started and shows the failing process's output", async () => {
    let failure: unknown;
    await startStack({
      services: ["webhook-inbox"],
      serviceEnv: { "webhook-inbox": { T2MOBILE_WEBHOOK_SECRET: "not-a-secret" } },
    }).catch((err: unknown) => (failure = err));
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/webhook-inbox exited with code 1 before it was ready[\s\S]*T2MOBILE_WEBHOOK_SECRET must be/);
  });

  it("stops what it started when the startup is aborted", async () => {
    for (const delayMs of [5, 500]) {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), delayMs);
      await expect(startStack({ services: ["webhook-inbox"], signal: controller.signal })).rejects.toThrow(/aborted/);
    }
  });

  it("refuses a process that is not built, before starting anything", async () => {
    await expect(startStack({ repoRoot: "/nonexistent", services: ["gateway"] })).rejects.toThrow(
      /not built yet: services\/gateway\/dist\/main\.js\. Run `npm run build` first/,
    );
  });
});
