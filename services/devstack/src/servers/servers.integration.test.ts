import { existsSync } from "node:fs";
import { createLogger, createMetrics, Database, EventBus, isDuplicateKeyError } from "@t2m/platform";
import { Consumers, OrderEvents, OrdersStream } from "@t2m/topology";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFerretDbBinary, startFerretDb, type FerretDb } from "./ferretdb.js";
import { probeMongo } from "./mongo-probe.js";
import { probeNats, startNatsServer, type NatsServer } from "./nats.js";
import { processExists } from "../processes.js";

const logger = createLogger("devstack-test", "silent");



describe("NATS and FerretDB started for real", () => {
  let nats: NatsServer | undefined;
  let ferretDb: FerretDb | undefined;

  beforeAll(async () => {
    // The first build on a fresh machine takes about two minutes; CI builds it before the tests.
    await ensureFerretDbBinary();
    [nats, ferretDb] = await Promise.all([startNatsServer(), startFerretDb()]);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([nats?.stop(), ferretDb?.stop()]);
  });

  it("NATS answers with JetStream: stream, consumer and de-duplicated publishes", async () => {
    const server = nats!;
    expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${server.monitorUrl}/healthz?js-enabled-only=true`);
    expect(await health.json()).toEqual({ status: "ok" });

    const [, port] = /:(\d+)$/.exec(server.url)!;
    expect(await probeNats("127.0.0.1", Number(port))).toMatchObject({ kind: "nats", jetstream: true });

    const bus = await EventBus.connect({ url: server.url, name: "devstack-test", logger, metrics: createMetrics("devstack-test"), ackWaitMs: 2_000 });
    try {
      await bus.declare({ streams: [OrdersStream], consumers: [Consumers.fulfilmentSubmitted] });
      await bus.readiness().check();
      expect(await bus.publish(OrderEvents.submitted, {}, { messageId: "order-1" })).toEqual({ duplicate: false, sequence: 1 });
      expect(await bus.publish(OrderEvents.submitted, {}, { messageId: "order-1" })).toMatchObject({ duplicate: true });
    } finally {
      await bus.close();
    }
    const jsz = (await (await fetch(`${server.monitorUrl}/jsz`)).json()) as { streams: number; messages: number };
    expect(jsz).toMatchObject({ streams: 1, messages: 1 });
  });

  it("FerretDB round-trips an insert and a find through the mongodb driver", async () => {
    const server = ferretDb!;
    expect(server.url).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await probeMongo(server.host, server.port)).toEqual({ kind: "mongodb", ok: true });

    const database = await Database.connect(server.databaseUrl("devstack_probe"), logger, "devstack-test");
    try {
      expect(database.db.databaseName).toBe("devstack_probe");
      const orders = database.collection<{ _id: string; status: string; customer: { email: string } }>("orders");
      await database.ensureIndexes("orders", [{ key: { "customer.email": 1 }, options: { name: "email_unique", unique: true } }]);
      await orders.insertOne({ _id: "T2M-1", status: "PENDING", customer: { email: "a@example.com" } });
      expect(await orders.findOne({ "customer.email": "a@example.com" })).toEqual({
        _id: "T2M-1",
        status: "PENDING",
        customer: { email: "a@example.com" },
      });
      const duplicate = await orders.insertOne({ _id: "T2M-2", status: "PENDING", customer: { email: "a@example.com" } }).catch((e: unknown) => e);
      expect(isDuplicateKeyError(duplicate)).toBe(true);
    } finally {
      await database.close();
    }
  });

  it("stops both servers leaving no process and no temporary directory behind", async () => {
    const [n, f] = await Promise.all([startNatsServer(), startFerretDb()]);
    const pids = [n.process.pid, f.process.pid];
    expect(pids.every(processExists)).toBe(true);
    await Promise.all([n.stop(), f.stop()]);
    expect(pids.some(processExists)).toBe(false);
    expect(existsSync(n.dataDir)).toBe(false);
    expect(existsSync(f.dataDir)).toBe(false);
    expect(n.process.exitInfo).toEqual({ code: 0, signal: null });
    expect(f.process.exitInfo).toEqual({ code: 0, signal: null });
  });

  it("fails clearly when the FerretDB port is taken", async () => {
    const server = ferretDb!;
    await expect(startFerretDb({ listen: `127.0.0.1:${server.port}` })).rejects.toThrow(/Last output of ferretdb:[\s\S]*address already in use/);
  });
});

describe("probes", () => {
  it("tell nothing listening from something that is not the server asked for", async () => {
    const { createServer } = await import("node:http");
    const http = createServer((_req, res) => res.end("not a database"));
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    const httpPort = (http.address() as { port: number }).port;
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    try {
      expect(await probeMongo("127.0.0.1", closedPort, 1_000)).toMatchObject({ kind: "closed" });
      expect(await probeNats("127.0.0.1", closedPort, 1_000)).toMatchObject({ kind: "closed" });
      expect(await probeMongo("127.0.0.1", httpPort, 1_000)).toMatchObject({ kind: "other" });
      expect(await probeNats("127.0.0.1", httpPort, 1_000)).toMatchObject({ kind: "other" });
    } finally {
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    }
  });
});
