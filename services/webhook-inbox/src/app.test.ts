import { SandboxDefaults } from "@t2m/topology";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { inboxSecrets, loadInboxConfig } from "./config.js";
import { startWebhookInbox, type WebhookInbox } from "./index.js";

const secret = SandboxDefaults.t2mobileWebhookSecret;
const otherSecret = "whsec_" + Buffer.alloc(32, 7).toString("base64");
const rotatedSecret = "whsec_" + Buffer.alloc(32, 3).toString("base64");

function signed(body: unknown, options: { id?: string; signWith?: string; at?: Date } = {}) {
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  const id = options.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const at = options.at ?? new Date();
  return {
    body: payload,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(options.signWith ?? secret).sign(id, at, payload),
    },
  };
}

const envelope = (orderId: string, type = "order.fulfilled", status = "FULFILLED") => ({
  type,
  timestamp: new Date().toISOString(),
  data: { orderId, status },
});

describe("webhook inbox over HTTP", () => {
  let inbox: WebhookInbox;
  const post = (path: string, init: { body: string; headers: Record<string, string> }) =>
    fetch(`${inbox.url}${path}`, { method: "POST", ...init });
  const get = async (query = "") => {
    const res = await fetch(`${inbox.url}/__inbox/messages${query}`);
    return { status: res.status, json: (await res.json()) as { count: number; messages: Array<Record<string, unknown>>; error?: string } };
  };

  beforeAll(async () => {
    inbox = await startWebhookInbox({ secrets: [secret, rotatedSecret] });
  });
  afterAll(async () => {
    await inbox.close();
  });
  beforeEach(async () => {
    await fetch(`${inbox.url}/__inbox/messages`, { method: "DELETE" });
    await fetch(`${inbox.url}/__inbox/responses`, { method: "DELETE" });
  });

  it("stores a correctly signed webhook as verified and answers 200", async () => {
    const res = await post("/webhooks/t2mobile", signed(envelope("T2M-1"), { id: "msg_abc" }));
    expect(res.status).toBe(200);

    const { json } = await get("?orderId=T2M-1");
    expect(json.count).toBe(1);
    expect(json.messages[0]).toMatchObject({
      webhookId: "msg_abc",
      type: "order.fulfilled",
      orderId: "T2M-1",
      status: "FULFILLED",
      verified: true,
      responseStatus: 200,
      path: "/webhooks/t2mobile",
      body: { data: { orderId: "T2M-1" } },
    });
    expect(json.messages[0]).not.toHaveProperty("error");
    // What was stored is enough to verify the delivery again, independently of the inbox.
    const stored = json.messages[0] as { rawBody: string; headers: Record<string, string> };
    expect(stored.headers["webhook-id"]).toBe("msg_abc");
    expect(new Webhook(secret).verify(stored.rawBody, stored.headers)).toMatchObject({ data: { orderId: "T2M-1" } });
    expect(typeof json.messages[0]?.timestamp).toBe("string");
    expect(typeof json.messages[0]?.receivedAt).toBe("string");
  });

  it("rejects a webhook signed with another secret with 401 and stores it as rejected", async () => {
    const res = await post("/webhooks/t2mobile", signed(envelope("T2M-2"), { signWith: otherSecret }));
    expect(res.status).toBe(401);
    const { json } = await get("?orderId=T2M-2");
    expect(json.messages[0]).toMatchObject({ verified: false, responseStatus: 401, error: "No matching signature found" });
  });

  it("rejects tampered bodies, missing headers and stale timestamps", async () => {
    const good = signed(envelope("T2M-3"));
    expect((await post("/webhooks/t2mobile", { ...good, body: good.body.replace("FULFILLED", "FAILED") })).status).toBe(401);
    expect((await post("/webhooks/t2mobile", { body: good.body, headers: { "content-type": "application/json" } })).status).toBe(401);
    const stale = signed(envelope("T2M-3"), { at: new Date(Date.now() - 10 * 60_000) });
    expect((await post("/webhooks/t2mobile", stale)).status).toBe(401);

    const { json } = await get("?orderId=T2M-3&verified=false");
    expect(json.messages.map((m) => m.error)).toEqual([
      "No matching signature found",
      "Missing required headers",
      "Message timestamp too old",
    ]);
  });

  it("accepts any path under /webhooks/ and filters by type", async () => {
    await post("/webhooks/other", signed(envelope("T2M-4", "order.failed", "FAILED")));
    await post("/webhooks/t2mobile", signed(envelope("T2M-4")));
    const { json } = await get("?orderId=T2M-4&type=order.failed");
    expect(json.messages).toHaveLength(1);
    expect(json.messages[0]).toMatchObject({ path: "/webhooks/other", status: "FAILED" });
  });

  it("answers the planned status for the next K deliveries, then 200 again", async () => {
    const plan = await fetch(`${inbox.url}/__inbox/responses`, { method: "POST", body: JSON.stringify({ status: 503, times: 2 }) });
    expect(plan.status).toBe(200);
    expect(await plan.json()).toEqual({ planned: { status: 503, remaining: 2 } });

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post("/webhooks/t2mobile", signed(envelope("T2M-5"), { id: "msg_same" }))).status);
    expect(statuses).toEqual([503, 503, 200]);
    const { json } = await get("?orderId=T2M-5");
    expect(json.messages.map((m) => m.responseStatus)).toEqual([503, 503, 200]);
    expect(json.messages.every((m) => m.verified === true && m.webhookId === "msg_same")).toBe(true);
  });

  it("verifies a webhook signed with any of its secrets (a rotation's overlap)", async () => {
    expect((await post("/webhooks/t2mobile", signed(envelope("T2M-8"), { signWith: rotatedSecret }))).status).toBe(200);
    expect((await get("?orderId=T2M-8")).json.messages[0]).toMatchObject({ verified: true });
  });

  it("sends a planned Retry-After with the planned status", async () => {
    inbox.respondWith(503, 1, 7);
    const res = await post("/webhooks/t2mobile", signed(envelope("T2M-9")));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("7");
  });

  it("does not spend planned responses on rejected deliveries", async () => {
    inbox.respondWith(500, 1);
    expect((await post("/webhooks/t2mobile", signed(envelope("T2M-6"), { signWith: otherSecret }))).status).toBe(401);
    expect((await post("/webhooks/t2mobile", signed(envelope("T2M-6")))).status).toBe(500);
  });

  it("refuses bodies over 1 MiB with 413", async () => {
    const big = signed({ type: "order.fulfilled", data: { orderId: "T2M-7", pad: "x".repeat(1024 * 1024) } });
    const res = await post("/webhooks/t2mobile", big);
    expect(res.status).toBe(413);
    const { json } = await get("?verified=false");
    expect(json.messages.at(-1)).toMatchObject({ responseStatus: 413, body: null, rawBody: null });
  });

  it("validates control requests with 400 and a clear message", async () => {
    const bad = async (body: string) => {
      const res = await fetch(`${inbox.url}/__inbox/responses`, { method: "POST", body });
      return { status: res.status, error: ((await res.json()) as { error: string }).error };
    };
    expect(await bad("not json")).toEqual({ status: 400, error: expect.stringMatching(/must be JSON/) });
    expect(await bad('{"status": 42}')).toEqual({ status: 400, error: expect.stringMatching(/status must be/) });
    expect(await bad('{"status": 503, "times": -1}')).toEqual({ status: 400, error: expect.stringMatching(/times must be/) });

    expect(await get("?verified=yes")).toMatchObject({ status: 400, json: { error: "verified must be true or false" } });
    expect(await get("?order=1")).toMatchObject({ status: 400, json: { error: expect.stringMatching(/unknown query parameter/) } });
    expect(() => inbox.respondWith(42)).toThrow(RangeError);
  });

  it("answers 404 for unknown paths and 405 for wrong methods", async () => {
    expect((await fetch(`${inbox.url}/nope`)).status).toBe(404);
    const res = await fetch(`${inbox.url}/webhooks/t2mobile`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("serves the platform's /readyz", async () => {
    expect((await fetch(`${inbox.url}/readyz`)).status).toBe(200);
  });
});

describe("inbox configuration", () => {
  it("uses the sandbox secret outside production", () => {
    expect(loadInboxConfig({}).T2MOBILE_WEBHOOK_SECRET).toBe(secret);
    expect(loadInboxConfig({}).PORT).toBe(4106);
  });

  it("refuses to start in production without a secret, and rejects malformed secrets", () => {
    expect(() => loadInboxConfig({ NODE_ENV: "production" })).toThrow(/T2MOBILE_WEBHOOK_SECRET is required/);
    expect(() => loadInboxConfig({ T2MOBILE_WEBHOOK_SECRET: "plain-secret" })).toThrow(/whsec_/);
    expect(() => loadInboxConfig({ T2MOBILE_WEBHOOK_SECRET: "plain-secret" })).not.toThrow(/plain-secret/);
    expect(() => loadInboxConfig({ T2MOBILE_WEBHOOK_SECRETS: "whsec_abc plain" })).toThrow(/T2MOBILE_WEBHOOK_SECRETS/);
  });

  it("verifies with T2MOBILE_WEBHOOK_SECRET and every one of T2MOBILE_WEBHOOK_SECRETS", () => {
    expect(inboxSecrets(loadInboxConfig({ T2MOBILE_WEBHOOK_SECRETS: `${rotatedSecret} ${otherSecret}` }))).toEqual([secret, rotatedSecret, otherSecret]);
  });
});
