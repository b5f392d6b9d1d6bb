// The README's `npm start` program (services/devstack/dist/main.js, which
// npm start runs after installing and building), used as T2Mobile would:
// with its own API key, webhook secret and webhook receiver. It reuses the
// NATS and MongoDB it is pointed at; here those are this test's own
// (startServers: containers where Docker answers, else local processes).
// It also supervises its processes, refuses to start twice, and leaves
// nothing behind when it is SIGKILLed.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { findPortOwners, isPortFree, ManagedProcess, processExists, REPO_ROOT, startServers, type Servers } from "@t2m/devstack";
import { readdirSync, readFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const apiKey = `t2m-own-key-${randomBytes(12).toString("hex")}`;
const secret = `whsec_${randomBytes(32).toString("base64")}`;
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString("utf8")));
  req.on("end", () => {
    received.push({ headers: req.headers, body });
    res.writeHead(204).end();
  });
});

let servers: Servers;
let platform: ManagedProcess;
let scratch: string;
const gateway = "http://127.0.0.1:4000";

/** `npm start`'s program, pointed at this test's servers and receiver. */
function npmStart(name = "npm-start"): ManagedProcess {
  return ManagedProcess.spawn({
    name,
    command: process.execPath,
    args: ["services/devstack/dist/main.js"],
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NO_COLOR: "1",
      NATS_URL: servers.natsUrl,
      MONGODB_URL: servers.mongodbUrl,
      T2MOBILE_API_KEY: apiKey,
      T2MOBILE_WEBHOOK_SECRET: secret,
      T2MOBILE_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/t2mobile/webhooks`,
      // The sandbox's state stays out of the repository's .data, like NATS's and FerretDB's.
      ZOHO_SANDBOX_STATE_FILE: join(scratch, "zoho-sandbox.json"),
    },
  });
}

/** The processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      const stat = (() => {
        try {
          return readFileSync(`/proc/${d}/stat`, "utf8");
        } catch {
          return "";
        }
      })();
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
    })
    .map(Number);
}

const PLATFORM_PORTS = [4000, 4101, 4102, 4103, 4104, 4105, 4106];

beforeAll(async () => {
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  servers = await startServers({ database: "quick_start" });
  scratch = await mkdtemp(join(tmpdir(), "t2m-quick-start-"));
  platform = npmStart();
  await platform.waitForLine((line) => line.includes("platform is running"), 90_000, "its ready banner");
}, 120_000);

afterAll(async () => {
  await platform?.stop({ timeoutMs: 20_000 });
  await servers?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
  receiver.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
});

describe("npm start, used by a T2Mobile-style client", () => {
  it("never prints the client's own key, and says where webhooks go", () => {
    const output = platform.lastLines().join("\n");
    expect(output).not.toContain(apiKey);
    expect(output).not.toContain(secret);
    expect(output).toContain("(from T2MOBILE_API_KEY)");
  });

  it("lists products, accepts an order, delivers a verified ORDER_FULFILLED webhook, and shows it FULFILLED", async () => {
    const auth = { authorization: `Bearer ${apiKey}` };
    const products = await fetch(`${gateway}/t2mobile/products`, { headers: auth });
    expect(products.status).toBe(200);
    expect(((await products.json()) as { products: Array<{ productId: string }> }).products.map((p) => p.productId)).toContain("ZOHO_CRM_STD");

    const orderId = `T2M-QS-${Date.now()}`;
    const accepted = await fetch(`${gateway}/t2mobile/fulfilment`, {
      method: "POST",
      headers: { ...auth, "idempotency-key": `qs-${orderId}`, "content-type": "application/json" },
      body: JSON.stringify({
        orderId,
        productId: "ZOHO_CRM_STD",
        customerId: "T2M_USER_9001",
        customerName: "Ada Obi",
        customerEmail: "ada.obi@example.com",
        customerPhone: "08012345678",
        tenure: "12_MONTHS",
      }),
    });
    expect(accepted.status).toBe(202);

    const deadline = Date.now() + 30_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(received).toHaveLength(1);
    const payload = new Webhook(secret).verify(received[0]!.body, received[0]!.headers as Record<string, string>) as {
      type: string;
      data: { orderId: string; status: string; zohoSalesOrderId: string };
    };
    expect(payload).toMatchObject({ type: "ORDER_FULFILLED", data: { orderId, status: "FULFILLED" } });

    const order = (await (await fetch(`${gateway}/t2mobile/orders/${orderId}`, { headers: auth })).json()) as Record<string, unknown>;
    expect(order).toMatchObject({ orderId, status: "FULFILLED", zohoSalesOrderId: payload.data.zohoSalesOrderId });
  });

  it("refuses a second npm start while the first holds the ports, naming the pid to stop", async () => {
    const second = npmStart("second-npm-start");
    expect(await second.exited).toEqual({ code: 1, signal: null });
    const output = second.lastLines().join("\n");
    expect(output).toContain("already in use on 127.0.0.1");
    expect(output).toContain(`It runs under pid ${platform.pid} (node services/devstack/dist/main.js): stop that (kill ${platform.pid})`);
    expect(output).toMatch(/4102 \(fulfilment: pid \d+, node services\/fulfilment\/dist\/main\.js\)/);
  });

  it("says so when fulfilment dies on its own, and restarts it on its port", async () => {
    const [owner] = await findPortOwners(4102);
    expect(owner?.parentPid).toBe(platform.pid);
    process.kill(owner!.pid, "SIGKILL");
    await platform.waitForLine((line) => /fulfilment is back \(pid \d+, restart #1\)/.test(line), 30_000, "fulfilment is back");
    const output = platform.lastLines(200).join("\n");
    expect(output).toContain("fulfilment killed by SIGKILL unexpectedly. Its last lines:");
    expect(output).toContain("restarting fulfilment in 1 s (restart #1)");
    expect((await fetch("http://127.0.0.1:4102/readyz")).status).toBe(200);
  });

  it("stops everything cleanly on SIGTERM", async () => {
    const exit = await platform.stop({ timeoutMs: 20_000 });
    expect(exit).toEqual({ code: 0, signal: null });
    await expect(fetch(`${gateway}/t2mobile/health`)).rejects.toThrow();
  });
});

describe("npm start killed by SIGKILL", () => {
  it("leaves none of its processes behind, and the next start finds the ports free", async () => {
    const killed = npmStart("killed-npm-start");
    await killed.waitForLine((line) => line.includes("platform is running"), 90_000, "its ready banner");
    const children = childrenOf(killed.pid!);
    expect(children).toHaveLength(7);
    killed.kill("SIGKILL");
    await expect.poll(() => children.filter(processExists), { timeout: 20_000, interval: 100 }).toEqual([]);
    expect((await Promise.all(PLATFORM_PORTS.map((p) => isPortFree(p)))).every(Boolean)).toBe(true);
  }, 120_000);
});
