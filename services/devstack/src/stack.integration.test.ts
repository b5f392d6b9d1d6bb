import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./config.js";
import { ensureFerretDbBinary } from "./servers/ferretdb.js";
import { probeMongo } from "./servers/mongo-probe.js";
import { dropStaleStackDatabases, listDatabases } from "./servers/postgres.js";
import { resolveStore } from "./servers/start-servers.js";
import { startStack, type Stack, type StackProcessName } from "./stack.js";
import type { ExitInfo } from "./processes.js";
import { processExists } from "./processes.js";
import type { SupervisionEvent } from "./supervisor.js";

// The stack's mechanics, with the one process this package owns (webhook-inbox);
// whole-platform stacks are exercised by the end-to-end tests under test/.



describe("startStack", () => {
  let stack: Stack;
  const unexpected: Array<{ name: StackProcessName; exit: ExitInfo }> = [];

  beforeAll(async () => {
    await ensureFerretDbBinary();
    stack = await startStack({
      services: ["webhook-inbox"],
      // These tests stop and start NATS and FerretDB processes; containers have none.
      servers: "local",
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
    expect(stack.serversKind).toBe("local");
    expect(stack.supervised).toBe(false);
  });

  it("puts FerretDB on a PostgreSQL database of its own when PostgreSQL answers, else on SQLite", async () => {
    const where = await resolveStore();
    expect(stack.store.kind).toBe(where.choice);
    if (where.choice === "postgresql") {
      expect(stack.store.postgresqlDatabase).toMatch(/^t2m_stack_\d+_/);
      expect(await listDatabases(where.postgresqlUrl)).toContain(stack.store.postgresqlDatabase);
    } else {
      expect(stack.store.sqliteDir).toBe(join(stack.dataDir, "ferretdb"));
    }
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

  it("lets a crash of NATS or FerretDB be seen, and starts them again on request", async () => {
    const { natsUrl, mongodbUrl } = stack;
    await stack.crash("ferretdb");
    await stack.crash("nats");
    await expect.poll(() => unexpected.map((u) => u.name).slice(-2).sort()).toEqual(["ferretdb", "nats"]);
    await stack.startServer("nats");
    await stack.startServer("ferretdb");
    expect([stack.natsUrl, stack.mongodbUrl]).toEqual([natsUrl, mongodbUrl]);
    await stack.waitUntilReady("nats");
    await stack.waitUntilReady("ferretdb");
    unexpected.splice(1);
  });

  it("does not restart what dies when it is not supervised", async () => {
    const before = unexpected.length;
    expect(await stack.crash("webhook-inbox")).toEqual({ code: null, signal: "SIGKILL" });
    await expect.poll(() => unexpected.length).toBe(before + 1);
    await expect(stack.waitUntilReady("webhook-inbox")).rejects.toThrow(/webhook-inbox is not running and nothing will start it \(the stack does not supervise\)/);
    await stack.start("webhook-inbox");
    expect(stack.restarts("webhook-inbox")).toBe(0);
  });

  it("stops everything, leaving no process, no temporary data and no PostgreSQL database behind", async () => {
    const pids = stack.pids();
    expect(pids).toHaveLength(4); // webhook-inbox, the nats-server wrapper, nats-server, ferretdb
    expect(pids.every(processExists)).toBe(true);
    await stack.stop();
    expect(pids.some(processExists)).toBe(false);
    expect(existsSync(stack.dataDir)).toBe(false);
    if (stack.store.kind === "postgresql") {
      const where = await resolveStore();
      expect(await listDatabases(where.postgresqlUrl)).not.toContain(stack.store.postgresqlDatabase);
    }
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
    // Aborted at once, and once the servers are up (at a point of progress, not after a guessed time).
    const atOnce = new AbortController();
    atOnce.abort();
    await expect(startStack({ services: ["webhook-inbox"], signal: atOnce.signal })).rejects.toThrow(/aborted/);
    const later = new AbortController();
    await expect(
      startStack({ services: ["webhook-inbox"], signal: later.signal, log: (message) => message.startsWith("servers:") && later.abort() }),
    ).rejects.toThrow(/aborted/);
  });

  it("refuses a process that is not built, before starting anything", async () => {
    await expect(startStack({ repoRoot: "/nonexistent", services: ["gateway"] })).rejects.toThrow(
      /not built yet: services\/gateway\/dist\/main\.js\. Run `npm run build` first/,
    );
  });
});

describe("a supervised stack", () => {
  let stack: Stack;
  const events: SupervisionEvent[] = [];
  const unexpected: StackProcessName[] = [];

  beforeAll(async () => {
    await ensureFerretDbBinary();
    stack = await startStack({
      services: ["webhook-inbox"],
      servers: "local",
      // Short delays so the test does not wait; the defaults are 1 s doubling to 30 s.
      supervise: { initialDelayMs: 50, maxDelayMs: 400 },
      onSupervision: (event) => void events.push(event),
      onUnexpectedExit: (name) => void unexpected.push(name),
    });
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it("restarts a crashed process on the same port, with a backoff that doubles per crash in a row", async () => {
    const url = stack.urls["webhook-inbox"];
    const pids = [stack.pid("webhook-inbox")];
    for (let crash = 1; crash <= 3; crash++) {
      expect(await stack.crash("webhook-inbox")).toEqual({ code: null, signal: "SIGKILL" });
      await stack.waitUntilReady("webhook-inbox");
      expect(stack.urls["webhook-inbox"]).toBe(url);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      pids.push(stack.pid("webhook-inbox"));
      expect(stack.restarts("webhook-inbox")).toBe(crash);
    }
    expect(new Set(pids).size).toBe(4);
    expect(unexpected).toEqual(["webhook-inbox", "webhook-inbox", "webhook-inbox"]);
    expect(events.filter((e) => e.type === "restarting").map((e) => e.type === "restarting" && e.delayMs)).toEqual([50, 100, 200]);
    expect(events.filter((e) => e.type === "restarted").map((e) => e.type === "restarted" && e.pid)).toEqual(pids.slice(1));
  });

  it("keeps trying while the process cannot start, and reports each failure", async () => {
    const url = new URL(stack.urls["webhook-inbox"]);
    const before = events.length;
    await stack.crash("webhook-inbox");
    // Take the port before the restart: it fails with EADDRINUSE until the port is free again.
    const squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(Number(url.port), "127.0.0.1", resolve));
    await expect.poll(() => events.slice(before).some((e) => e.type === "restart-failed"), { timeout: 10_000 }).toBe(true);
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    await stack.waitUntilReady("webhook-inbox");
    const failed = events.slice(before).find((e) => e.type === "restart-failed");
    expect(failed?.type === "restart-failed" && failed.error.message).toMatch(/webhook-inbox exited with code 1 before it was ready[\s\S]*EADDRINUSE/);
    expect(stack.logs("webhook-inbox").some((l) => l.startsWith("[devstack] webhook-inbox did not start again"))).toBe(true);
  });

  it("leaves a process that a test killed down, until it is started again", async () => {
    const restarts = stack.restarts("webhook-inbox");
    expect(await stack.kill("webhook-inbox", "SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
    await expect(stack.waitUntilReady("webhook-inbox", { timeoutMs: 2_000 })).rejects.toThrow(/nothing will start it/);
    expect(stack.isRunning("webhook-inbox")).toBe(false);
    await stack.start("webhook-inbox");
    expect(stack.restarts("webhook-inbox")).toBe(restarts);
  });

  it("restarts NATS and FerretDB on the same ports with the same data", async () => {
    const { natsUrl, natsMonitorUrl, mongodbUrl } = stack;
    const ferretDbPort = Number(new URL(mongodbUrl).port);
    await stack.crash("nats");
    await stack.crash("ferretdb");
    await stack.waitUntilReady("nats");
    await stack.waitUntilReady("ferretdb");
    expect([stack.natsUrl, stack.natsMonitorUrl, stack.mongodbUrl]).toEqual([natsUrl, natsMonitorUrl, mongodbUrl]);
    expect((await fetch(`${natsMonitorUrl}/healthz?js-enabled-only=true`)).status).toBe(200);
    expect(await probeMongo("127.0.0.1", ferretDbPort)).toEqual({ kind: "mongodb", ok: true });
    expect(stack.restarts("nats")).toBe(1);
    expect(stack.restarts("ferretdb")).toBe(1);
    // The service reconnects by itself.
    await expect.poll(async () => (await fetch(`${stack.urls["webhook-inbox"]}/readyz`)).status, { timeout: 20_000 }).toBe(200);
  });

  it("restarts nothing once it is stopping", async () => {
    const pids = stack.pids();
    await stack.stop();
    expect(pids.some(processExists)).toBe(false);
    expect(stack.isRunning("webhook-inbox")).toBe(false);
  });
});

describe("a stack whose parent dies", () => {
  it("leaves no process behind when the process that started it is SIGKILLed", async () => {
    await ensureFerretDbBinary();
    const index = pathToFileURL(join(REPO_ROOT, "services/devstack/dist/index.js")).href;
    // The built package: a child process runs plain JavaScript.
    const script = `
      const { startStack } = await import(${JSON.stringify(index)});
      const stack = await startStack({ services: ["webhook-inbox", "catalogue"], servers: "local", supervise: true });
      console.log("STACK=" + JSON.stringify({ pids: stack.pids(), database: stack.store.postgresqlDatabase ?? null, dataDir: stack.dataDir }));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const started = await new Promise<{ pids: number[]; database: string | null; dataDir: string }>((resolve, reject) => {
      child.stdout.on("data", (c: Buffer) => {
        output += c.toString();
        const line = /^STACK=(.*)$/m.exec(output)?.[1];
        if (line) resolve(JSON.parse(line) as { pids: number[]; database: string | null; dataDir: string });
      });
      child.once("exit", (code) => reject(new Error(`the stack's parent exited (${code}) first:\n${output}`)));
    });
    expect(started.pids).toHaveLength(5); // two services, the nats-server wrapper, nats-server, ferretdb
    expect(started.pids.every(processExists)).toBe(true);

    child.kill("SIGKILL");
    await expect.poll(() => started.pids.filter(processExists), { timeout: 20_000, interval: 100 }).toEqual([]);
    // A killed process cannot remove its temporary directory either.
    expect(existsSync(started.dataDir)).toBe(true);
    await rm(started.dataDir, { recursive: true, force: true });

    if (started.database) {
      // Its PostgreSQL database is left behind, and the next stack's sweep drops it. Stacks of other test
      // files start meanwhile (the integration project runs files in parallel) and sweep too, so whichever
      // sweep gets there first drops it: what matters is that it does not outlive a sweep.
      const where = await resolveStore();
      await dropStaleStackDatabases(where.postgresqlUrl);
      expect(await listDatabases(where.postgresqlUrl)).not.toContain(started.database);
    }
  }, 120_000);
});
