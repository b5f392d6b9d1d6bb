import { execFile } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT, type Stack } from "@t2m/devstack";
import { Webhook } from "standardwebhooks";

export interface ApiResponse {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Headers;
  readonly body: any;
}

/** Calls the gateway as T2Mobile does. */
export function t2mobileClient(stack: Stack) {
  const call = async (method: string, path: string, options: { key?: string | null; idempotencyKey?: string; body?: unknown; rawBody?: string; contentType?: string } = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = {};
    const key = options.key === undefined ? stack.apiKey : options.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey;
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
    const res = await fetch(`${stack.urls.gateway}${path}`, { method, headers, body });
    const text = await res.text();
    const contentType = res.headers.get("content-type") ?? "";
    return { status: res.status, contentType, headers: res.headers, body: text && contentType.includes("json") ? JSON.parse(text) : text };
  };
  return {
    call,
    products: () => call("GET", "/t2mobile/products"),
    submit: (body: unknown, idempotencyKey: string) => call("POST", "/t2mobile/fulfilment", { body, idempotencyKey }),
    order: (orderId: string) => call("GET", `/t2mobile/orders/${encodeURIComponent(orderId)}`),
    health: () => call("GET", "/t2mobile/health", { key: null }),
  };
}

let sequence = 0;
/** A fresh order in the seed's shape; ids are unique per call. */
export function newOrder(overrides: Record<string, unknown> = {}) {
  sequence += 1;
  const id = `T2M${Date.now().toString(36).toUpperCase()}${sequence}`;
  return {
    orderId: id,
    productId: "ZOHO_CRM_STD",
    customerId: `T2M_USER_${sequence}`,
    customerName: "John Doe",
    customerEmail: `john.${id.toLowerCase()}@example.com`,
    customerPhone: "08012345678",
    tenure: "12_MONTHS",
    ...overrides,
  };
}

/** Polls until `probe` returns a value, or fails with the stack's recent output. */
export async function waitFor<T>(stack: Stack, what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${stack.recentOutput(40)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface InboxMessage {
  readonly webhookId: string;
  readonly type: string;
  readonly orderId: string;
  readonly verified: boolean;
  readonly receivedAt: string;
  readonly body: any;
  readonly rawBody: string;
  readonly headers: Record<string, string>;
  /** What the inbox answered (a planned failure, e.g. 503, or 2xx). */
  readonly responseStatus: number;
}

export async function inboxMessages(stack: Stack, orderId: string): Promise<InboxMessage[]> {
  const res = await fetch(`${stack.urls["webhook-inbox"]}/__inbox/messages?orderId=${encodeURIComponent(orderId)}`);
  const body = (await res.json()) as { messages: InboxMessage[] };
  return body.messages;
}

/** Verifies a received webhook independently of the inbox, with the standardwebhooks library. */
export function verifyWebhook(stack: Stack, message: InboxMessage): unknown {
  return new Webhook(stack.webhookSecret).verify(message.rawBody, message.headers);
}

export async function sandbox(stack: Stack, path: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(`${stack.urls["zoho-sandbox"]}/__sandbox${path}`, {
    method: init.method ?? "GET",
    headers: init.body === undefined ? {} : { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!res.ok) throw new Error(`sandbox ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as any;
}

export async function salesOrdersNumbered(stack: Stack, number: string): Promise<Array<{ salesorder_id: string; salesorder_number: string; status: string }>> {
  const state = await sandbox(stack, "/state");
  return (state.salesOrders as Array<{ salesorder_id: string; salesorder_number: string; status: string }>).filter(
    (o) => o.salesorder_number === number,
  );
}

/** Runs one of the platform's jobs as its CronJob would, with its service's env from the stack. */
export async function runStackJob(stack: Stack, name: string, args: readonly string[] = []) {
  const { findJob, runJobProcess } = await import("@t2m/devstack");
  const job = findJob(name);
  if (!job) throw new Error(`no job ${name}`);
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...stack.env[job.service as keyof Stack["env"]] };
  const result = await runJobProcess(job, { env, args });
  if (result.exit.code !== 0) throw new Error(`job ${name} ${JSON.stringify(result.exit)}:\n${result.lines.slice(-20).join("\n")}`);
  const finished = result.lines.map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return undefined; } }).find((l) => l?.outcome === "succeeded");
  return { ...result, counts: (finished?.counts ?? {}) as Record<string, number> };
}

/** Answers the inbox gives to the next deliveries (status, how many, Retry-After seconds). */
export async function inboxRespondWith(stack: Stack, status: number, times: number, retryAfter?: number): Promise<void> {
  const res = await fetch(`${stack.urls["webhook-inbox"]}/__inbox/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ status, times, ...(retryAfter === undefined ? {} : { retryAfter }) }),
  });
  if (!res.ok) throw new Error(`inbox responses: HTTP ${res.status}`);
}

export async function inboxReset(stack: Stack): Promise<void> {
  await fetch(`${stack.urls["webhook-inbox"]}/__inbox/responses`, { method: "DELETE" });
}

/** The built operator CLI (npm run build makes it). */
export const CLI = join(REPO_ROOT, "services/cli/dist/main.js");

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built t2m as an operator would, with the stack's addresses and operator token (unless `env` says otherwise). */
export function runT2m(stack: Stack, args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    T2M_CATALOGUE_URL: stack.urls.catalogue,
    T2M_FULFILMENT_URL: stack.urls.fulfilment,
    T2M_PROVISIONING_URL: stack.urls.provisioning,
    T2M_NOTIFICATION_URL: stack.urls.notification,
    T2M_TOKEN: stack.rpcToken("operator"),
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...base, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
