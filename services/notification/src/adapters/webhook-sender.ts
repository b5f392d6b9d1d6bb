import { Webhook } from "standardwebhooks";
import { parseRetryAfter } from "../domain/retry-policy.js";
import type { SendResult, WebhookMessage } from "../domain/deliver.js";

export interface WebhookSenderOptions {
  readonly url: string;
  /** A Standard Webhooks secret: whsec_ + base64. */
  readonly secret: string;
  readonly timeoutMs: number;
}

/** Signs (Standard Webhooks 1.0, v1 HMAC-SHA256) and POSTs one attempt. */
export class WebhookSender {
  private readonly signer: Webhook;

  constructor(private readonly options: WebhookSenderOptions) {
    // Throws at start-up on a malformed secret instead of on the first webhook.
    this.signer = new Webhook(options.secret);
  }

  /** The signature headers for a body sent at `at`; the timestamp is the attempt's, the id the message's. */
  signatureHeaders(webhookId: string, payload: string, at: Date): Record<string, string> {
    return {
      "webhook-id": webhookId,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": this.signer.sign(webhookId, at, payload),
    };
  }

  async send(message: WebhookMessage, attemptNumber: number): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const response = await fetch(this.options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "IconTech-Webhooks/1.0",
          "webhook-attempt": String(attemptNumber),
          ...this.signatureHeaders(message.webhookId, message.payload, new Date()),
        },
        body: message.payload,
        // A redirect is a failure (Standard Webhooks); following it could also leak the signature elsewhere.
        redirect: "manual",
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await response.body?.cancel();
      const ok = response.status >= 200 && response.status < 300;
      return {
        status: response.status,
        durationMs: elapsed(),
        retryAfterSeconds: parseRetryAfter(response.headers.get("retry-after"), new Date()),
        ...(ok ? {} : { error: `HTTP ${response.status}` }),
      };
    } catch (err) {
      return { durationMs: elapsed(), error: describeFetchError(err, this.options.timeoutMs) };
    }
  }
}

/** A short reason without the URL, which may carry credentials in its query. */
function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof DOMException && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return `timed out after ${timeoutMs} ms`;
  }
  const cause = (err as { cause?: { code?: string; errors?: Array<{ code?: string }> } }).cause;
  const code = cause?.code ?? cause?.errors?.find((e) => e.code)?.code;
  if (code) return `connection failed: ${code}`;
  return `request failed: ${err instanceof Error ? err.message : String(err)}`;
}
