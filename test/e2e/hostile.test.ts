// Hostile input against the real stack (the gateway as a process, over
// HTTP, with fulfilment, NATS and FerretDB behind it): fast-check generates
// 10,000 requests per run — wrong types, operator objects, control
// characters, huge and deeply nested bodies, invalid UTF-8, prototype keys,
// header and auth abuse, odd methods and paths, and raw bytes that are not
// HTTP at all — and every answer must be below 500, every refusal
// problem+json, no order may be stored, and the platform must be healthy
// and taking orders afterwards.
import { connect } from "node:net";
import { startStack, type Stack } from "@t2m/devstack";
import { createLogger, Database } from "@t2m/platform";
import fc from "fast-check";
import { Pool } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newOrder, t2mobileClient } from "./support.js";

let stack: Stack;
let database: Database;
let pool: Pool;

const RUNS = 10_000;

beforeAll(async () => {
  stack = await startStack({ ports: "random", logLevel: "warn", env: { RATE_LIMIT_PER_MINUTE: "1000000000", ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: "0" } });
  database = await Database.connect(stack.mongodbUrl, createLogger("hostile-test", "silent"), "hostile-test");
  pool = new Pool(stack.urls.gateway, { connections: 8, pipelining: 1 });
});

afterAll(async () => {
  await pool?.close();
  await database?.close();
  await stack?.stop();
});

// ---- what a hostile request is made of

const base = () => newOrder();
type Order = ReturnType<typeof base>;
const FIELDS = ["orderId", "productId", "customerId", "customerName", "customerEmail", "customerPhone", "tenure"] as const;

const wrongValue = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom({ $ne: null }, { $gt: "" }, { $where: "sleep(1000)" }, { $regex: ".*" }, { $in: ["a"] }, [], ["T2M1"], {}),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);
const CONTROL = fc.constantFrom("\u0000", "\u0007", "\u001b[31m", "\r\n", "\u007f", "\u0085", "\ud800", "\t");

/** A change that makes an order one the contract refuses. */
const mutation: fc.Arbitrary<(o: Order) => Record<string, unknown>> = fc.oneof(
  fc.tuple(fc.constantFrom(...FIELDS), wrongValue).map(([field, value]) => (o: Order) => ({ ...o, [field]: value })),
  fc.constantFrom(...FIELDS).map((field) => (o: Order) => {
    const { [field]: _, ...rest } = o;
    return rest;
  }),
  fc.tuple(fc.constantFrom(...FIELDS), CONTROL).map(([field, c]) => (o: Order) => ({ ...o, [field]: `${o[field]}${c}x` })),
  // Values no rule accepts for these fields (a name may be almost anything, so it gets its own).
  fc.tuple(fc.constantFrom(...FIELDS.filter((f) => f !== "customerName")), fc.constantFrom("   ", "", "é", "💥", "../../etc", "' OR 1=1 --", "<script>", "a@b", "+", "0".repeat(300))).map(
    ([field, value]) => (o: Order) => ({ ...o, [field]: value }),
  ),
  fc.constantFrom("   ", "", "n".repeat(201), "\u0000", "a\u202e\u0000b").map((value) => (o: Order) => ({ ...o, customerName: value })),
  fc.constantFrom("$where", "extra", "isDuplicate", "status", "partnerId", "__v").map((key) => (o: Order) => ({ ...o, [key]: "x" })),
);

/** Raw request bodies: an invalid order as JSON (with textual tricks), or not JSON at all. */
const body: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(mutation, fc.constantFrom("plain", "bom", "spaces", "proto", "constructor", "duplicate", "escaped-nul")).map(([m, trick]) => {
    const json = JSON.stringify(m(base()));
    switch (trick) {
      case "bom":
        return Buffer.from(`\ufeff${json}`);
      case "spaces":
        return Buffer.from(`\n\t ${json} \n`);
      case "proto":
        return Buffer.from(`${json.slice(0, -1)},"__proto__":{"isAdmin":true}}`);
      case "constructor":
        return Buffer.from(`${json.slice(0, -1)},"constructor":{"prototype":{"polluted":true}}}`);
      case "duplicate":
        return Buffer.from(`{"orderId":"T2MDUP1",${json.slice(1)}`);
      case "escaped-nul":
        return Buffer.from(`${json.slice(0, -1)},"note":"a\\u0000b"}`);
      default:
        return Buffer.from(json);
    }
  }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.constantFrom("", "null", "[]", "1e999", '"string"', "true", "{", '{"orderId":', "{}", "[{}]", "{'a':1}", "NaN", '{"a":1}garbage').map((t) => Buffer.from(t)) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 7_000 }).map((depth) => Buffer.from(`${"[".repeat(depth)}${"]".repeat(depth)}`)) },
  { weight: 1, arbitrary: fc.integer({ min: 500, max: 1_500 }).map((depth) => Buffer.from(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`)) },
  { weight: 1, arbitrary: fc.integer({ min: 17_000, max: 60_000 }).map((n) => Buffer.from(JSON.stringify({ ...base(), customerName: "x".repeat(n) }))) },
  { weight: 1, arbitrary: fc.constantFrom([0xc3, 0x28], [0xff, 0xfe], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]).map((bad) => {
    const json = JSON.stringify({ ...base(), customerName: "AB" });
    const at = json.indexOf("AB") + 1;
    return Buffer.concat([Buffer.from(json.slice(0, at)), Buffer.from(bad), Buffer.from(json.slice(at))]);
  }) },
);

const paths = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("/t2mobile/fulfilment", "/t2mobile/products", "/t2mobile/orders", "/t2mobile/orders/T2M1", "/t2mobile/health", "/t2mobile/openapi.json", "/t2mobile/docs") },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "/t2mobile/../../etc/passwd",
      "/t2mobile/orders/%2e%2e%2f%2e%2e%2fetc",
      "/t2mobile/orders/acme~T2M1",
      "/t2mobile/orders/%00",
      "/t2mobile/orders?status[$ne]=x",
      "/t2mobile/orders?status=FULFILLED&status=FAILED",
      "/t2mobile/orders?since=yesterday&limit=-1",
      "/t2mobile/orders?limit=1e9&cursor=eyJ2IjoxfQ",
      "/t2mobile/orders?since=1970-01-01T00:00:00Z",
      "/t2mobile/orders?__proto__[polluted]=1",
      "//t2mobile/products",
      "/t2mobile/products/",
      "/T2MOBILE/PRODUCTS",
      "/t2mobile/docs/..%2f..%2fpackage.json",
      "/t2mobile/docs/swagger-ui-bundle.js.map",
      "/t2mobile/fulfilment?x=%ZZ",
      "/",
      "/metrics/../t2mobile/products",
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => `/t2mobile/orders/${encodeURIComponent(s)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 2_000, max: 9_000 }).map((n) => `/t2mobile/orders/${"a".repeat(n)}`) },
);

interface Hostile {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  readonly body?: Buffer;
}

function hostile(apiKey: string): fc.Arbitrary<Hostile> {
  const auth = fc.constantFrom<string | undefined>(
    undefined,
    `Bearer ${apiKey}`,
    `Bearer ${apiKey}`,
    `Bearer ${apiKey}`,
    `bearer ${apiKey}`,
    `Bearer ${apiKey} extra`,
    `Bearer  ${apiKey}`,
    `Basic ${Buffer.from(`x:${apiKey}`).toString("base64")}`,
    "Bearer",
    "Bearer ",
    `Bearer ${"A".repeat(4_000)}`,
    `Bearer ${apiKey.slice(0, -1)}`,
    `Bearer ${apiKey}\u00e9`,
    "Bearer t2m_' OR '1'='1",
  );
  /** Present about `percent`% of the time. */
  const sometimes = <T,>(percent: number, arbitrary: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 100 - percent, arbitrary: fc.constant(undefined) }, { weight: percent, arbitrary });
  const header = fc.record({
    authorization: fc.oneof({ weight: 3, arbitrary: fc.constant(`Bearer ${apiKey}`) }, { weight: 2, arbitrary: auth }),
    "content-type": fc.oneof(
      { weight: 3, arbitrary: fc.constant("application/json") },
      { weight: 2, arbitrary: fc.constantFrom(undefined, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "application/json; charset=utf-8", "multipart/form-data; boundary=x", "application/JSON", "", "*/*") },
    ),
    "content-encoding": sometimes(15, fc.constantFrom("gzip", "br", "deflate", "identity, gzip", "x-unknown", "identity")),
    "idempotency-key": fc.oneof({ weight: 3, arbitrary: fc.uuid() }, { weight: 2, arbitrary: fc.constantFrom<string | string[] | undefined>(undefined, "", " ", "a b", "x".repeat(300), '"quoted"', '"bad', "é", ["k1", "k2"], "$ne", "{}") }),
    "x-request-id": sometimes(30, fc.constantFrom("abc", "x".repeat(500), "é", "$(reboot)")),
    "if-none-match": sometimes(15, fc.constantFrom("*", '"x"', "W/", "a".repeat(3_000))),
    "x-forwarded-for": sometimes(20, fc.constantFrom("1.2.3.4", "999.999.1.1, ::1", "' OR 1=1")),
    "x-huge": sometimes(2, fc.constant("h".repeat(20_000))),
  });
  return fc
    .record({
      method: fc.constantFrom("GET", "POST", "POST", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "PROPFIND", "TRACK2", "post"),
      path: paths,
      headers: header,
      body: sometimes(85, body),
      many: sometimes(5, fc.integer({ min: 50, max: 120 })),
    })
    .map(({ method, path, headers, body: b, many }) => {
      const all: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(headers)) if (v !== undefined) all[k] = v;
      if (many) for (let i = 0; i < many; i++) all[`x-junk-${i}`] = String(i);
      const withBody = method !== "GET" && method !== "HEAD" ? b : undefined;
      // A POST to the order route always carries a body the contract refuses: so no request here may place an order.
      const safeBody = method === "POST" && path.split("?")[0] === "/t2mobile/fulfilment" && withBody === undefined ? Buffer.from("{}") : withBody;
      const request: Hostile = { method, path, headers: all, ...(safeBody !== undefined ? { body: safeBody } : {}) };
      // Counterexamples printed short: what was sent, not 20 KB of it.
      return Object.assign(request, {
        [fc.toStringMethod]: () =>
          `${method} ${path.slice(0, 100)} headers=${JSON.stringify(Object.fromEntries(Object.entries(all).map(([k, v]) => [k, String(v).slice(0, 60)])))} body=${safeBody ? JSON.stringify(safeBody.subarray(0, 200).toString("latin1")) + ` (${safeBody.length} bytes)` : "none"}`,
      });
    });
}

/** Requests that are not HTTP/1.1 as a client library would send it. */
const RAW = [
  "GET /t2mobile/products HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n",
  "GET /t2mobile/products HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
  "POST /t2mobile/fulfilment HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  "POST /t2mobile/fulfilment HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
  "POST /t2mobile/fulfilment HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
  "POST /t2mobile/fulfilment HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
  "GET /t2mobile/products HTTP/9.9\r\nHost: x\r\n\r\n",
  "G\u0000T / HTTP/1.1\r\nHost: x\r\n\r\n",
  `GET /t2mobile/products HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(70_000)}\r\n\r\n`,
  "\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003",
  "GET /t2mobile/health HTTP/1.0\r\n\r\n",
  "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET http://evil.example/t2mobile/products HTTP/1.1\r\nHost: evil.example\r\n\r\n",
];

function rawRequest(port: number, text: string): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(Buffer.from(text, "latin1")));
    let answer = Buffer.alloc(0);
    socket.setTimeout(10_000, () => socket.destroy(new Error("no answer")));
    socket.on("data", (d) => (answer = Buffer.concat([answer, d])));
    socket.on("error", reject);
    socket.on("close", () => {
      const textAnswer = answer.toString("latin1");
      const [head = "", ...rest] = textAnswer.split("\r\n\r\n");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      const contentType = /\r\ncontent-type: *([^\r\n]+)/i.exec(head)?.[1] ?? "";
      resolve({ status, contentType, body: rest.join("\r\n\r\n") });
    });
  });
}

describe("hostile input", () => {
  it(`${RUNS} generated hostile requests: no 5xx, every refusal problem+json, no order stored, the platform healthy afterwards`, async () => {
    const ordersBefore = await database.collection("orders").countDocuments({});
    const statuses = new Map<number, number>();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(hostile(stack.apiKey), async (req) => {
        sent += 1;
        const res = await pool.request({ method: req.method, path: req.path, headers: req.headers, ...(req.body ? { body: req.body } : {}), headersTimeout: 15_000, bodyTimeout: 15_000 });
        const text = await res.body.text();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        const contentType = String(res.headers["content-type"] ?? "");
        expect(res.statusCode, `${req.method} ${req.path.slice(0, 80)} → ${text.slice(0, 300)}`).toBeLessThan(500);
        if (res.statusCode >= 400) {
          expect(contentType, `${req.method} ${req.path.slice(0, 80)} → ${res.statusCode}`).toContain("application/problem+json");
          if (req.method !== "HEAD") expect(JSON.parse(text)).toMatchObject({ status: res.statusCode, code: expect.any(String), type: expect.any(String) });
        }
        if (req.method === "POST" && req.path.startsWith("/t2mobile/fulfilment")) expect(res.statusCode).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(sent).toBeGreaterThanOrEqual(RUNS);

    const port = Number(new URL(stack.urls.gateway).port);
    for (const text of RAW) {
      const res = await rawRequest(port, text);
      if (res.status === 0) continue; // the connection was closed without an answer (a TLS hello, say): nothing leaked, nothing stored
      expect(res.status, JSON.stringify(text.slice(0, 60))).toBeLessThan(500);
      if (res.status >= 400) expect(res.contentType, JSON.stringify(text.slice(0, 60))).toContain("application/problem+json");
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    console.info(`hostile requests by status: ${JSON.stringify(Object.fromEntries([...statuses.entries()].sort(([a], [b]) => a - b)))}`);

    expect(await database.collection("orders").countDocuments({})).toBe(ordersBefore);
    // Healthy afterwards, and still taking orders.
    expect(stack.isRunning("gateway")).toBe(true);
    const api = t2mobileClient(stack);
    expect((await api.health()).status).toBe(200);
    const order = newOrder();
    expect((await api.submit(order, `after-${order.orderId}`)).status).toBe(202);
    expect(({}) as Record<string, unknown>).not.toHaveProperty("polluted");
    expect(({}) as Record<string, unknown>).not.toHaveProperty("isAdmin");
  }, 600_000);
});
