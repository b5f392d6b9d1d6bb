// Partners end to end, on the whole stack: two partners side by side, each
// with its own key, webhook receiver and signing secret, each seeing only
// its own orders and webhooks (also under random interleavings of their
// requests, fast-check); key rotation with overlap; one order for 100
// concurrent requests with one key across two gateway processes; a limit
// that two gateway processes hold together; real responses checked against
// the served OpenAPI document; the docs page in headless Chromium.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { findFreePorts, REPO_ROOT, spawnService, startStack, waitUntilReady, type ManagedProcess, type Stack } from "@t2m/devstack";
import { createMetrics, serviceClient } from "@t2m/platform";
import { PartnerService } from "@t2m/proto/partners/v1/partners";
import { startWebhookInbox, type WebhookInbox } from "@t2m/webhook-inbox";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentChecker } from "./openapi-check.js";
import { inboxMessages, newOrder, waitFor, type ApiResponse } from "./support.js";

let stack: Stack;
let acmeInbox: WebhookInbox;
let partners: ReturnType<typeof serviceClient<typeof PartnerService>>;
let acmeKey: string;
let secondGateway: ManagedProcess | undefined;
let secondGatewayUrl: string;
const acmeSecret = "whsec_YWNtZS1yZWNlaXZlci1zZWNyZXQtMzItYnl0ZXMhIQ==";
const responses: Array<{ method: string; path: string; res: ApiResponse }> = [];

/** Calls a gateway as a partner; every answer is kept to be checked against the OpenAPI document. */
async function call(
  key: string | null,
  method: string,
  path: string,
  options: { body?: unknown; idempotencyKey?: string; headers?: Record<string, string>; rawBody?: string; base?: string; documentPath?: string } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey;
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers["content-type"] ??= "application/json";
  const res = await fetch(`${options.base ?? stack.urls.gateway}${path}`, { method, headers, body });
  const text = await res.text();
  const contentType = res.headers.get("content-type") ?? "";
  const answer = { status: res.status, contentType, headers: res.headers, body: text && contentType.includes("json") ? JSON.parse(text) : text };
  responses.push({ method, path: options.documentPath ?? path.split("?")[0]!, res: answer });
  return answer;
}

const submit = (key: string, order: ReturnType<typeof newOrder>, idempotencyKey: string, base?: string) =>
  call(key, "POST", "/t2mobile/fulfilment", { body: order, idempotencyKey, ...(base ? { base } : {}) });
const getOrder = (key: string, orderId: string) => call(key, "GET", `/t2mobile/orders/${encodeURIComponent(orderId)}`, { documentPath: "/t2mobile/orders/{orderId}" });

beforeAll(async () => {
  acmeInbox = await startWebhookInbox({ secret: acmeSecret });
  stack = await startStack({
    ports: "random",
    logLevel: "warn",
    env: {
      RATE_LIMIT_PER_MINUTE: "100000",
      ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: "0",
      PARTNER_REFRESH_MS: "300",
      KEY_USAGE_FLUSH_MS: "300",
      WEBHOOK_RETRY_DELAYS_MS: "300,600,1000",
    },
  });
  partners = serviceClient(PartnerService, { baseUrl: stack.urls.fulfilment, metrics: createMetrics("partners-test"), token: stack.rpcToken("operator") });
  const created = await partners.createPartner({ partnerId: "acme", name: "Acme Telecom", issueApiKey: true });
  acmeKey = created.apiKey;
  await partners.setWebhook({ partnerId: "acme", url: acmeInbox.webhookUrl, secrets: [acmeSecret] });
  const [port] = await findFreePorts(1);
  secondGatewayUrl = `http://127.0.0.1:${port}`;
  secondGateway = spawnService("gateway", { repoRoot: REPO_ROOT, env: { ...process.env, ...stack.env.gateway, PORT: String(port) } });
  await waitUntilReady({ name: "gateway-2", url: `${secondGatewayUrl}/readyz`, timeoutMs: 30_000, intervalMs: 100, exited: secondGateway.exited, lastLines: () => secondGateway!.lastLines() });
});

afterAll(async () => {
  await secondGateway?.stop();
  await stack?.stop();
  await acmeInbox?.close();
});

describe("partners", () => {
  it("the registry bootstraps t2mobile from the environment, and keeps keys as prefixes only", async () => {
    const { partner } = await partners.getPartner({ partnerId: "t2mobile" });
    expect(partner?.apiKeys.map((k) => k.source)).toContain("env");
    expect(partner?.webhook).toMatchObject({ url: stack.webhookUrl, source: "env", signingSecrets: 1 });
    const acme = (await partners.getPartner({ partnerId: "acme" })).partner!;
    expect(acme.apiKeys).toHaveLength(1);
    expect(acmeKey.startsWith(acme.apiKeys[0]!.prefix)).toBe(true);
    expect(JSON.stringify(acme, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(acmeKey);
  });

  it("two partners side by side, each with its own key, receiver and secret: each sees only its own orders and webhooks", async () => {
    // The same order id and the same Idempotency-Key, from two partners: two orders.
    const shared = newOrder();
    const t2mOrder = { ...shared, customerId: "T2M_SIDE" };
    const acmeOrder = { ...shared, customerId: "ACME_SIDE" };
    const key = `side-${shared.orderId}`;
    expect((await submit(stack.apiKey, t2mOrder, key)).status).toBe(202);
    const accepted = await submit(acmeKey, acmeOrder, key);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ orderId: shared.orderId, customerId: "ACME_SIDE", isDuplicate: false });
    expect(accepted.headers.get("location")).toBe(`/t2mobile/orders/${shared.orderId}`);

    // Each reads its own under the same id.
    expect((await getOrder(stack.apiKey, shared.orderId)).body.customerId).toBe("T2M_SIDE");
    expect((await getOrder(acmeKey, shared.orderId)).body.customerId).toBe("ACME_SIDE");
    // An order only one partner has is 404 for the other, exactly as one that does not exist.
    const only = newOrder({ customerId: "ACME_ONLY" });
    expect((await submit(acmeKey, only, `only-${only.orderId}`)).status).toBe(202);
    const hidden = await getOrder(stack.apiKey, only.orderId);
    expect(hidden.status).toBe(404);
    expect(hidden.body).toEqual({ ...(await getOrder(stack.apiKey, "T2M_NOBODY")).body, detail: expect.any(String), instance: expect.any(String), traceId: expect.any(String) });

    // Each partner's webhook reaches its own receiver, signed with its own secret.
    const acmeWebhook = await waitFor(stack, "acme's webhook", async () => acmeInbox.messages({ orderId: shared.orderId }).find((m) => m.verified));
    expect(JSON.parse(acmeWebhook.rawBody!).data).toMatchObject({ orderId: shared.orderId, customerId: "ACME_SIDE" });
    expect(() => new Webhook(acmeSecret).verify(acmeWebhook.rawBody!, acmeWebhook.headers)).not.toThrow();
    expect(() => new Webhook(stack.webhookSecret).verify(acmeWebhook.rawBody!, acmeWebhook.headers)).toThrow();
    const t2mWebhook = await waitFor(stack, "t2mobile's webhook", async () => (await inboxMessages(stack, shared.orderId)).find((m) => m.verified));
    expect(JSON.parse(t2mWebhook.rawBody).data.customerId).toBe("T2M_SIDE");
    await waitFor(stack, "acme's other webhook", async () => acmeInbox.messages({ orderId: only.orderId }).find((m) => m.verified));
    // Neither receiver ever got the other's.
    expect((await inboxMessages(stack, only.orderId))).toHaveLength(0);
    expect(acmeInbox.messages().every((m) => JSON.parse(m.rawBody!).data.customerId.startsWith("ACME"))).toBe(true);

    // Listing: only one's own.
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const acmeList = await call(acmeKey, "GET", `/t2mobile/orders?since=${encodeURIComponent(since)}&limit=500`);
    expect(acmeList.status).toBe(200);
    expect(acmeList.body.orders.every((o: any) => o.customerId.startsWith("ACME"))).toBe(true);
    expect(acmeList.body.orders.map((o: any) => o.orderId)).toEqual(expect.arrayContaining([shared.orderId, only.orderId]));
    const t2mList = await call(stack.apiKey, "GET", `/t2mobile/orders?since=${encodeURIComponent(since)}&limit=500`);
    expect(t2mList.body.orders.some((o: any) => o.customerId.startsWith("ACME"))).toBe(false);
  });

  it("a partner never sees or changes another's orders, under random interleavings of their requests", async () => {
    const keys: Record<string, string> = { t2mobile: stack.apiKey, acme: acmeKey };
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            op: fc.constantFrom("submit", "submit", "get", "list", "replay-other"),
            partner: fc.constantFrom("t2mobile", "acme"),
            id: fc.integer({ min: 0, max: 3 }),
          }),
          { minLength: 4, maxLength: 14 },
        ),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 14, maxLength: 14 }),
        async (ops, chunks) => {
          run += 1;
          const prefix = `IL${Date.now().toString(36)}R${run}`;
          const orderId = (id: number) => `${prefix}-${id}`;
          // What each partner has been told it owns (submitted and answered 2xx): order id → the customer email it holds.
          const owned: Record<string, Map<string, string>> = { t2mobile: new Map(), acme: new Map() };
          const body = (partner: string, id: number) => ({ ...newOrder({ orderId: orderId(id) }), customerId: `${partner.toUpperCase()}_${id}`, customerEmail: `${partner}.${id}@example.com` });
          let at = 0;
          for (const size of chunks) {
            const batch = ops.slice(at, at + size);
            at += size;
            if (batch.length === 0) break;
            const before = { t2mobile: new Map(owned.t2mobile), acme: new Map(owned.acme) };
            const submittedNow = new Set(batch.filter((o) => o.op !== "get" && o.op !== "list").map((o) => `${o.partner}/${orderId(o.id)}`));
            const mayHold = (partner: string, id: string, email: string) => before[partner as "acme"].get(id) === email || (submittedNow.has(`${partner}/${id}`) && (email === `${partner}.${id.split("-").pop()}@example.com` || email === `${partner === "acme" ? "t2mobile" : "acme"}.${id.split("-").pop()}@example.com`));
            await Promise.all(
              batch.map(async ({ op, partner, id }) => {
                const key = keys[partner]!;
                const other = partner === "acme" ? "t2mobile" : "acme";
                if (op === "submit" || op === "replay-other") {
                  // "replay-other": the other partner's exact request (its key and body) with this partner's API key.
                  const as = op === "submit" ? partner : other;
                  const res = await submit(key, body(as, id), `${prefix}-${as}-${id}`);
                  if (res.status < 300) {
                    expect([200, 202]).toContain(res.status);
                    expect(res.body.customerEmail).toBe(`${as}.${id}@example.com`);
                    owned[partner]!.set(orderId(id), res.body.customerEmail);
                  } else {
                    // In flight, or this partner already holds the id under its other key/body: never another partner's order.
                    expect([409, 422], JSON.stringify(res.body)).toContain(res.status);
                  }
                } else if (op === "get") {
                  const res = await getOrder(key, orderId(id));
                  const known = before[partner as "acme"].get(orderId(id));
                  if (known) {
                    expect(res.status).toBe(200);
                    expect(res.body.customerEmail).toBe(known);
                  } else if (res.status === 200) {
                    expect(mayHold(partner, orderId(id), res.body.customerEmail), JSON.stringify(res.body)).toBe(true);
                  } else {
                    expect(res.status).toBe(404);
                  }
                } else {
                  const res = await call(key, "GET", `/t2mobile/orders?limit=500&since=${encodeURIComponent(new Date(Date.now() - 600_000).toISOString())}`);
                  expect(res.status).toBe(200);
                  const mine = res.body.orders.filter((o: any) => o.orderId.startsWith(prefix));
                  for (const o of mine) expect(mayHold(partner, o.orderId, o.customerEmail), JSON.stringify(o)).toBe(true);
                  for (const id of before[partner as "acme"].keys()) expect(mine.map((o: any) => o.orderId)).toContain(id);
                }
              }),
            );
          }
          // Finally each partner reads each id: what it was told it holds, or 404.
          for (const partner of ["t2mobile", "acme"] as const) {
            for (let id = 0; id < 4; id++) {
              const res = await getOrder(keys[partner]!, orderId(id));
              const known = owned[partner]!.get(orderId(id));
              if (known) {
                expect(res.status).toBe(200);
                expect(res.body.customerEmail).toBe(known);
              } else expect(res.status).toBe(404);
            }
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 240_000);

  it("rotates keys with overlap: a new key works beside the old, a revoked one stops, and last use is recorded", async () => {
    const issued = await partners.issueApiKey({ partnerId: "acme" });
    const newKey = issued.apiKey;
    expect((await call(newKey, "GET", "/t2mobile/products")).status).toBe(200);
    expect((await call(acmeKey, "GET", "/t2mobile/products")).status).toBe(200);
    const oldId = (await partners.getPartner({ partnerId: "acme" })).partner!.apiKeys.find((k) => acmeKey.startsWith(k.prefix) && k.keyId !== issued.key!.keyId)!.keyId;
    await waitFor(stack, "last use of the old key to be recorded", async () =>
      (await partners.getPartner({ partnerId: "acme" })).partner!.apiKeys.find((k) => k.keyId === oldId)?.lastUsedAt ? true : undefined,
    );
    await partners.revokeApiKey({ partnerId: "acme", keyId: oldId });
    const refused = await waitFor(stack, "the revoked key to be refused", async () => {
      const res = await call(acmeKey, "GET", "/t2mobile/products");
      return res.status === 401 ? res : undefined;
    });
    expect(refused.body.code).toBe("UNAUTHORIZED");
    expect((await call(newKey, "GET", "/t2mobile/products")).status).toBe(200);
    acmeKey = newKey;
  });

  it("100 concurrent requests with one key, across two gateway processes, make one order; every answer is 202, 200 or 409", async () => {
    const order = newOrder({ customerId: "ACME_RACE" });
    const key = `race-${order.orderId}`;
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => submit(acmeKey, order, key, i % 2 === 0 ? stack.urls.gateway : secondGatewayUrl)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 202 || s === 200 || s === 409), JSON.stringify(statuses)).toBe(true);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status === 409)) {
      expect(a.body.code).toBe("IDEMPOTENCY_KEY_IN_USE");
      expect(Number(a.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    // A replay is the first response, with isDuplicate.
    const first = answers.find((a) => a.status === 202)!.body;
    for (const a of answers.filter((x) => x.status === 200)) {
      expect(a.body).toEqual({ ...first, isDuplicate: true });
      expect(a.headers.get("idempotent-replayed")).toBe("true");
    }
    const listed = await call(acmeKey, "GET", `/t2mobile/orders?limit=500&since=${encodeURIComponent(new Date(Date.now() - 600_000).toISOString())}`);
    expect(listed.body.orders.filter((o: any) => o.orderId === order.orderId)).toHaveLength(1);
  });

  it("two gateway processes together allow a partner's limit per minute, not twice it; budgets are apart", async () => {
    const created = await partners.createPartner({ partnerId: "limited", name: "Limited", rateLimitPerMinute: 100, issueApiKey: true });
    const key = created.apiKey;
    const bases = [stack.urls.gateway, secondGatewayUrl];
    // Both gateways know the new key before the count starts (a new key works within a second, or a refresh): checked on
    // the orders budget, so the reads budget is untouched.
    for (const base of bases) {
      await waitFor(stack, "the new key to be known", async () => ((await call(key, "POST", "/t2mobile/fulfilment", { base, body: {}, idempotencyKey: "warm" })).status === 400 ? true : undefined));
    }
    const answers: ApiResponse[] = [];
    for (let round = 0; round < 15; round++) {
      answers.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => call(key, "GET", "/t2mobile/products", { base: bases[i % 2] })))));
    }
    const statuses = JSON.stringify(answers.map((a) => a.status));
    expect(answers.filter((a) => a.status === 200), statuses).toHaveLength(100);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused, statuses).toHaveLength(50);
    for (const a of refused) {
      expect(a.body.code).toBe("RATE_LIMITED");
      expect(Number(a.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(a.headers.get("ratelimit")).toMatch(/^"reads";r=0;t=\d+$/);
      expect(a.headers.get("ratelimit-policy")).toBe('"reads";q=100;w=60');
    }
    // Placing orders is a budget of its own; health is never limited.
    const order = newOrder();
    expect((await submit(key, order, `limited-${order.orderId}`, secondGatewayUrl)).status).toBe(202);
    for (let i = 0; i < 3; i++) expect((await call(null, "GET", "/t2mobile/health")).status).toBe(200);
  });

  it("answers hostile and wrong requests as documented", async () => {
    const order = newOrder();
    await call(acmeKey, "POST", "/t2mobile/fulfilment", { body: order, idempotencyKey: `k-${order.orderId}`, headers: { "content-encoding": "gzip" } });
    await call(acmeKey, "POST", "/t2mobile/fulfilment", { body: { ...order, orderId: { $gt: "" } }, idempotencyKey: `k2-${order.orderId}` });
    await call(acmeKey, "POST", "/t2mobile/fulfilment", { rawBody: '{"orderId":', idempotencyKey: `k3-${order.orderId}` });
    await call(acmeKey, "POST", "/t2mobile/fulfilment", { body: { ...order, productId: "ZOHO_NOPE" }, idempotencyKey: `k4-${order.orderId}` });
    await call(acmeKey, "POST", "/t2mobile/fulfilment", { body: order, idempotencyKey: `k5-${order.orderId}` });
    await call(acmeKey, "POST", "/t2mobile/fulfilment", { body: order, idempotencyKey: `k5-${order.orderId}` });
    await call(acmeKey, "POST", "/t2mobile/fulfilment", { body: order, idempotencyKey: `k6-${order.orderId}` });
    await call(acmeKey, "POST", "/t2mobile/fulfilment", { body: { ...order, tenure: "1_MONTH" }, idempotencyKey: `k5-${order.orderId}` });
    await call(null, "GET", "/t2mobile/products");
    await call(acmeKey, "GET", "/t2mobile/orders?status=LOST");
    const products = await call(acmeKey, "GET", "/t2mobile/products");
    await call(acmeKey, "GET", "/t2mobile/products", { headers: { "if-none-match": products.headers.get("etag")! } });
    await call(null, "GET", "/t2mobile/openapi.json");
  });

  it("every answer seen in these tests is what the OpenAPI document says", async () => {
    const document = (await call(null, "GET", "/t2mobile/openapi.json")).body;
    const check = documentChecker(document);
    const statuses = new Set<string>();
    for (const { method, path, res } of responses) {
      statuses.add(`${method} ${path} ${res.status}`);
      expect(check(method, path, res), `${method} ${path} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`).toEqual([]);
    }
    // The sample covers successes, replays, refusals and limits.
    for (const expected of ["POST /t2mobile/fulfilment 202", "POST /t2mobile/fulfilment 200", "POST /t2mobile/fulfilment 400", "POST /t2mobile/fulfilment 415", "POST /t2mobile/fulfilment 422", "POST /t2mobile/fulfilment 409", "GET /t2mobile/orders/{orderId} 200", "GET /t2mobile/orders/{orderId} 404", "GET /t2mobile/orders 200", "GET /t2mobile/orders 400", "GET /t2mobile/products 200", "GET /t2mobile/products 304", "GET /t2mobile/products 401", "GET /t2mobile/products 429"]) {
      expect([...statuses]).toContain(expected);
    }
  });

  it("the docs page loads in headless Chromium and shows every route", async () => {
    const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
    expect(chromium, "Debian's chromium is needed (apt-get install -y --no-install-recommends chromium; .ci/run installs it)").toBeDefined();
    const { chromium: launcher } = await import("playwright-core");
    const browser = await launcher.launch({ executablePath: chromium, args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage", "--no-first-run"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1800 } });
      const outside: string[] = [];
      page.on("request", (req) => {
        if (!req.url().startsWith(stack.urls.gateway) && !req.url().startsWith("data:")) outside.push(req.url());
      });
      await page.goto(`${stack.urls.gateway}/t2mobile/docs`);
      const document = (await call(null, "GET", "/t2mobile/openapi.json")).body;
      const operations = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((method) => ({ path, method })));
      const webhooks = Object.keys(document.webhooks);
      await page.waitForFunction((n) => document.querySelectorAll(".opblock").length >= n, operations.length + webhooks.length, { timeout: 30_000 });
      for (const { path, method } of operations) {
        const block = page.locator(`.opblock-${method}`, { has: page.locator(`[data-path="${path}"]`) });
        expect(await block.count(), `${method.toUpperCase()} ${path}`).toBeGreaterThan(0);
      }
      // Every route, and the webhook events, and nothing else.
      expect(await page.locator(".opblock").count()).toBe(operations.length + webhooks.length);
      for (const name of webhooks) expect(await page.getByText(name, { exact: true }).count(), name).toBeGreaterThan(0);
      const dir = join(REPO_ROOT, "test-output");
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, "docs-page.png"), fullPage: true });
      expect(outside).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
