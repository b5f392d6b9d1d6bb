import { Agent, errors, request, type Dispatcher } from "undici";
import { Webhook } from "standardwebhooks";
import { parseRetryAfter } from "../domain/retry-policy.js";
import type { SendResult } from "../domain/attempt.js";
import type { Endpoint } from "./endpoints.js";

/** Standard Webhooks and Svix keep at most this much of a receiver's answer. */
export const MAX_RESPONSE_BODY_BYTES = 20_000;

export interface WebhookSenderOptions {
  /** Per attempt, connection included (15 s: Standard Webhooks, Svix). */
  readonly timeoutMs: number;
  /** Connections kept per receiver. */
  readonly connections?: number;
}

/** What is sent: the message's id and body, and which attempt this is. */
export interface OutgoingWebhook {
  readonly webhookId: string;
  readonly eventType: string;
  readonly payload: string;
}

/**
 * Signs (Standard Webhooks 1.0, v1 HMAC-SHA256, one signature per configured
 * secret) and POSTs one attempt with undici over kept-alive connections.
 * Redirects are not followed (a 3xx is a failure: Standard Webhooks, and the
 * signature must not travel elsewhere).
 */
export class WebhookSender {
  private readonly signers = new Map<string, Webhook>();
  private readonly dispatcher: Dispatcher;

  constructor(private readonly options: WebhookSenderOptions) {
    this.dispatcher = new Agent({ connections: options.connections ?? 64, keepAliveTimeout: 10_000, connectTimeout: options.timeoutMs });
  }

  private signer(secret: string): Webhook {
    let signer = this.signers.get(secret);
    if (!signer) {
      signer = new Webhook(secret);
      this.signers.set(secret, signer);
    }
    return signer;
  }

  /** The Standard Webhooks headers for a body sent at `at`: the timestamp is the attempt's, the id the message's. */
  signatureHeaders(endpoint: Endpoint, webhookId: string, payload: string, at: Date): Record<string, string> {
    return {
      "webhook-id": webhookId,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": endpoint.secrets.map((s) => this.signer(s).sign(webhookId, at, payload)).join(" "),
    };
  }

  async send(endpoint: Endpoint, message: OutgoingWebhook, attemptNumber: number): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const response = await request(endpoint.url, {
        method: "POST",
        dispatcher: this.dispatcher,
        headers: {
          "content-type": "application/json",
          "user-agent": "IconTech-Webhooks/1.0",
          "webhook-attempt": String(attemptNumber),
          "webhook-event-type": message.eventType,
          ...this.signatureHeaders(endpoint, message.webhookId, message.payload, new Date()),
        },
        body: message.payload,
        signal,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
      const { text, truncated } = await readLimited(response.body, MAX_RESPONSE_BODY_BYTES);
      const status = response.statusCode;
      const ok = status >= 200 && status < 300;
      const retryAfter = response.headers["retry-after"];
      return {
        status,
        durationMs: elapsed(),
        retryAfterSeconds: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, new Date()),
        responseBody: text,
        responseTruncated: truncated,
        ...(ok ? {} : { error: `HTTP ${status}` }),
      };
    } catch (err) {
      const timedOut = signal.aborted || err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError || err instanceof errors.ConnectTimeoutError;
      return {
        durationMs: elapsed(),
        timedOut,
        error: timedOut ? `timed out after ${this.options.timeoutMs} ms` : describeError(err),
        responseBody: "",
        responseTruncated: false,
      };
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** Reads at most `limit` bytes of a body (the rest is discarded), as text. */
async function readLimited(body: AsyncIterable<Buffer> & { destroy?: () => void }, limit: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    if (size + chunk.length > limit) {
      chunks.push(chunk.subarray(0, limit - size));
      size = limit;
      truncated = true;
      body.destroy?.();
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { text: Buffer.concat(chunks).toString("utf8"), truncated };
}

/** A short reason without the URL, which may carry credentials in its query. */
function describeError(err: unknown): string {
  const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  if (code) return `connection failed: ${code}`;
  return `request failed: ${err instanceof Error ? err.name : String(err)}`;
}
