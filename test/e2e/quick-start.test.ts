// The README's `npm start` program (services/devstack/dist/main.js, which
// npm start runs after installing and building), used as T2Mobile would:
// with its own API key, webhook secret and webhook receiver. It reuses the
// NATS and MongoDB it is pointed at; here those are this test's own.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { ManagedProcess, REPO_ROOT, startFerretDb, startNatsServer, type FerretDb, type NatsServer } from "@t2m/devstack";
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

let nats: NatsServer;
let ferretDb: FerretDb;
let platform: ManagedProcess;
let scratch: string;
const gateway = "http://127.0.0.1:4000";

beforeAll(async () => {
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  [nats, ferretDb] = await Promise.all([startNatsServer(), startFerretDb()]);
  // The sandbox's state stays out of the repository's .data, like NATS's and FerretDB's.
  scratch = await mkdtemp(join(tmpdir(), "t2m-quick-start-"));
  platform = ManagedProcess.spawn({
    name: "npm-start",
    command: process.execPath,
    args: ["services/devstack/dist/main.js"],
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NO_COLOR: "1",
      NATS_URL: nats.url,
      MONGODB_URL: ferretDb.databaseUrl("quick_start"),
      T2MOBILE_API_KEY: apiKey,
      T2MOBILE_WEBHOOK_SECRET: secret,
      T2MOBILE_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/t2mobile/webhooks`,
      ZOHO_SANDBOX_STATE_FILE: join(scratch, "zoho-sandbox.json"),
    },
  });
  await platform.waitForLine((line) => line.includes("platform is running"), 90_000, "its ready banner");
}, 120_000);

afterAll(async () => {
  await platform?.stop({ timeoutMs: 20_000 });
  await Promise.all([nats?.stop(), ferretDb?.stop()]);
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

  it("stops everything cleanly on SIGTERM", async () => {
    const exit = await platform.stop({ timeoutMs: 20_000 });
    expect(exit).toEqual({ code: 0, signal: null });
    await expect(fetch(`${gateway}/t2mobile/health`)).rejects.toThrow();
  });
});
