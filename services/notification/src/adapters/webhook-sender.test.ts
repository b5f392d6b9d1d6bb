import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Endpoint } from "./endpoints.js";
import { MAX_RESPONSE_BODY_BYTES, WebhookSender } from "./webhook-sender.js";

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const newSecret = "whsec_" + Buffer.alloc(32, 9).toString("base64");
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
let answer: { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } = { status: 200 };
let url = "";
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    received.push({ headers: req.headers, body });
    setTimeout(() => {
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? "");
    }, answer.delayMs ?? 0);
  });
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const message = {
  webhookId: "msg_test",
  eventType: "ORDER_FULFILLED",
  payload: JSON.stringify({ type: "ORDER_FULFILLED", timestamp: "2026-11-27T10:00:00.000Z", data: { orderId: "T2M1" } }),
};
const endpoint = (secrets = [secret], at = url): Endpoint => ({ id: "t2mobile", url: at, secrets });

describe("WebhookSender", () => {
  const sender = new WebhookSender({ timeoutMs: 2_000 });
  afterAll(() => sender.close());

  it("sends a body the standardwebhooks library verifies, with the attempt number", async () => {
    answer = { status: 200, body: "thanks" };
    const result = await sender.send(endpoint(), message, 1);
    expect(result).toMatchObject({ status: 200, responseBody: "thanks", responseTruncated: false });
    expect(result.error).toBeUndefined();
    const last = received.at(-1)!;
    expect(last.headers["webhook-id"]).toBe("msg_test");
    expect(last.headers["webhook-attempt"]).toBe("1");
    expect(new Webhook(secret).verify(last.body, last.headers as Record<string, string>)).toEqual(JSON.parse(message.payload));
  });

  it("signs with every configured secret, so a receiver holding either one verifies (rotation)", async () => {
    answer = { status: 204 };
    await sender.send(endpoint([secret, newSecret]), message, 1);
    const last = received.at(-1)!;
    expect(String(last.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(new Webhook(secret).verify(last.body, last.headers as Record<string, string>)).toEqual(JSON.parse(message.payload));
    expect(new Webhook(newSecret).verify(last.body, last.headers as Record<string, string>)).toEqual(JSON.parse(message.payload));
    const other = "whsec_" + Buffer.from("another-secret-of-32-bytes-long!").toString("base64");
    expect(() => new Webhook(other).verify(last.body, last.headers as Record<string, string>)).toThrow();
  });

  it("reports non-2xx answers with Retry-After and keeps at most 20 KB of the answer", async () => {
    answer = { status: 429, headers: { "retry-after": "7" }, body: "x".repeat(MAX_RESPONSE_BODY_BYTES + 5_000) };
    const result = await sender.send(endpoint(), message, 2);
    expect(result).toMatchObject({ status: 429, retryAfterSeconds: 7, error: "HTTP 429", responseTruncated: true });
    expect(result.responseBody).toHaveLength(MAX_RESPONSE_BODY_BYTES);
  });

  it("does not follow redirects", async () => {
    answer = { status: 302, headers: { location: "http://127.0.0.1:1/elsewhere" } };
    expect(await sender.send(endpoint(), message, 1)).toMatchObject({ status: 302, error: "HTTP 302" });
  });

  it("reports a timeout as one", async () => {
    answer = { status: 200, delayMs: 500 };
    const quick = new WebhookSender({ timeoutMs: 100 });
    const result = await quick.send(endpoint(), message, 1);
    await quick.close();
    expect(result).toMatchObject({ timedOut: true, error: "timed out after 100 ms" });
    expect(result.status).toBeUndefined();
  });

  it("reports a refused connection without the URL", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const result = await sender.send(endpoint([secret], `http://127.0.0.1:${port}/hook?token=s3cret`), message, 1);
    expect(result.status).toBeUndefined();
    expect(result.error).toMatch(/connection failed/);
    expect(result.error).not.toContain("s3cret");
  });
});
