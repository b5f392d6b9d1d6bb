import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebhookSender } from "./webhook-sender.js";

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
let status = 200;
let url = "";
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    received.push({ headers: req.headers, body });
    res.writeHead(status, status === 429 ? { "retry-after": "7" } : {});
    res.end();
  });
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const message = {
  webhookId: "msg_test",
  eventType: "ORDER_FULFILLED" as const,
  orderId: "T2M1",
  payload: JSON.stringify({ type: "ORDER_FULFILLED", timestamp: "2026-11-27T10:00:00.000Z", data: { orderId: "T2M1" } }),
  status: "PENDING" as const,
  attempts: 0,
  createdAt: new Date(),
};

describe("WebhookSender", () => {
  it("sends a body the standardwebhooks library verifies", async () => {
    const result = await new WebhookSender({ url, secret, timeoutMs: 2_000 }).send(message, 1);
    expect(result.status).toBe(200);
    expect(result.error).toBeUndefined();
    const last = received.at(-1)!;
    expect(last.headers["webhook-id"]).toBe("msg_test");
    expect(last.headers["webhook-attempt"]).toBe("1");
    const verified = new Webhook(secret).verify(last.body, last.headers as Record<string, string>);
    expect(verified).toEqual(JSON.parse(message.payload));
  });

  it("fails verification with another secret", async () => {
    await new WebhookSender({ url, secret, timeoutMs: 2_000 }).send(message, 1);
    const last = received.at(-1)!;
    expect(() => new Webhook("whsec_" + Buffer.from("another-secret-of-32-bytes-long!").toString("base64")).verify(last.body, last.headers as Record<string, string>)).toThrow();
  });

  it("reports non-2xx answers with Retry-After", async () => {
    status = 429;
    const result = await new WebhookSender({ url, secret, timeoutMs: 2_000 }).send(message, 2);
    status = 200;
    expect(result).toMatchObject({ status: 429, retryAfterSeconds: 7, error: "HTTP 429" });
  });

  it("reports a refused connection without the URL", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const result = await new WebhookSender({ url: `http://127.0.0.1:${port}/hook?token=s3cret`, secret, timeoutMs: 2_000 }).send(message, 1);
    expect(result.status).toBeUndefined();
    expect(result.error).toMatch(/connection failed/);
    expect(result.error).not.toContain("s3cret");
  });

  it("rejects a malformed secret at construction", () => {
    expect(() => new WebhookSender({ url, secret: "whsec_***", timeoutMs: 1 })).toThrow();
  });
});
