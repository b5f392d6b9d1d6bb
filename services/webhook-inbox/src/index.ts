import { runService } from "@t2m/platform";
import { SandboxDefaults } from "@t2m/topology";
import { createInboxApp } from "./app.js";
import { InboxStore, type InboxFilter, type InboxMessage } from "./domain/inbox.js";
import { parseResponseRule, ResponsePlan } from "./domain/responses.js";

export { createInboxApp, describe, MAX_WEBHOOK_BODY_BYTES, parseFilter, type InboxAppOptions } from "./app.js";
export { inboxSecrets, isWebhookSecret, loadInboxConfig, type InboxConfig } from "./config.js";
export { headerTimestamp, InboxStore, parseBody, summarise, type InboxFilter, type InboxMessage } from "./domain/inbox.js";
export { parseResponseRule, ResponsePlan, type PlannedResponse, type ResponseRule } from "./domain/responses.js";

export interface WebhookInboxOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number;
  readonly host?: string;
  /** The Standard Webhooks secret senders sign with; defaults to the sandbox secret. */
  readonly secret?: string;
  /** Several secrets, any of which verifies (a receiver during a rotation); replaces `secret`. */
  readonly secrets?: readonly string[];
  /** pino level for the inbox's own log lines; "silent" by default in-process. */
  readonly logLevel?: string;
}

export interface WebhookInbox {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Where to send webhooks: `${url}/webhooks/t2mobile`. */
  readonly webhookUrl: string;
  readonly store: InboxStore;
  readonly plan: ResponsePlan;
  messages(filter?: InboxFilter): InboxMessage[];
  /** Answers the next `times` verified deliveries with `status` (and a Retry-After of `retryAfter` seconds). */
  respondWith(status: number, times?: number, retryAfter?: number): void;
  clear(): void;
  close(): Promise<void>;
}

/** Runs the inbox inside the current process (tests), on a free port unless one is given. */
export async function startWebhookInbox(options: WebhookInboxOptions = {}): Promise<WebhookInbox> {
  const store = new InboxStore();
  const plan = new ResponsePlan();
  const secrets = options.secrets ?? [options.secret ?? SandboxDefaults.t2mobileWebhookSecret];
  const running = await runService({
    name: "webhook-inbox",
    port: options.port ?? 0,
    host: options.host ?? "127.0.0.1",
    logLevel: options.logLevel ?? "silent",
    shutdownTimeoutMs: 5_000,
    handleSignals: false,
    start: async (rt) => createInboxApp({ secrets, store, plan, logger: rt.logger }),
  });
  return {
    url: running.url,
    webhookUrl: `${running.url}/webhooks/t2mobile`,
    store,
    plan,
    messages: (filter) => store.list(filter),
    respondWith: (status, times = 1, retryAfter) => {
      const rule = parseResponseRule({ status, times, ...(retryAfter === undefined ? {} : { retryAfter }) });
      if (!rule.ok) throw new RangeError(rule.error);
      plan.set(rule.value);
    },
    clear: () => void store.clear(),
    close: () => running.stop(),
  };
}
