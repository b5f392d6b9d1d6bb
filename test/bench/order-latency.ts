// npm run bench: places orders through the gateway of a locally started
// platform (real NATS JetStream, FerretDB, every service as its own
// process) and reports how long T2Mobile waits for the 202 and then for the
// ORDER_FULFILLED webhook, plus each process's memory.
//
// First BENCH_SINGLE (default 20) orders one at a time, each waited for to
// its webhook: the latency one order sees on an idle platform. Then
// BENCH_ORDERS (default 200) orders sent BENCH_CONCURRENCY (default 8) at a
// time, after BENCH_WARMUP (default 20) warm-up orders: throughput, and
// latency under a backlog.
//
// The stack's servers are chosen as for the tests (startServers): real
// MongoDB and NATS in containers where a Docker engine answers; otherwise
// FerretDB on a PostgreSQL database of the stack's own (dropped afterwards)
// when BENCH_POSTGRESQL_URL is set or PostgreSQL answers on 127.0.0.1:5432,
// else on SQLite. FerretDB's SQLite backend pushes down only _id equality,
// so every other query scans the collection and it, not the platform, sets
// the pace (see the report's "mongodbBackend").
import { readFileSync } from "node:fs";
import { startStack, type ServiceName, type Stack } from "@t2m/devstack";

const orders = Number(process.env.BENCH_ORDERS ?? 200);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const warmup = Number(process.env.BENCH_WARMUP ?? 20);
const single = Number(process.env.BENCH_SINGLE ?? 20);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
  };
}

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

interface Placed {
  readonly orderId: string;
  readonly sentAt: number;
  readonly acceptedAt: number;
}

async function place(stack: Stack, run: string, i: number): Promise<Placed> {
  const orderId = `BENCH-${run}-${i}`;
  const body = {
    orderId,
    productId: "ZOHO_CRM_STD",
    customerId: `BENCH_USER_${i % 50}`,
    customerName: `Bench User ${i % 50}`,
    customerEmail: `bench.user.${i % 50}@example.com`,
    customerPhone: "08012345678",
    tenure: "12_MONTHS",
  };
  const sentAt = Date.now();
  const res = await fetch(`${stack.urls.gateway}/t2mobile/fulfilment`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.apiKey}`, "idempotency-key": `bench-${orderId}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`order ${orderId}: HTTP ${res.status}`);
  return { orderId, sentAt, acceptedAt: Date.now() };
}

async function placeAll(stack: Stack, run: string, count: number): Promise<Placed[]> {
  const placed: Placed[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) placed.push(await place(stack, run, next++));
    }),
  );
  return placed;
}

/** Waits until the inbox holds a webhook for every order; returns arrival times by order id. */
async function webhookArrivals(stack: Stack, expected: Set<string>, timeoutMs: number): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${stack.urls["webhook-inbox"]}/__inbox/messages?type=ORDER_FULFILLED&verified=true`);
    const { messages } = (await res.json()) as { messages: Array<{ orderId: string; receivedAt: string }> };
    const arrivals = new Map<string, number>();
    for (const m of messages) if (expected.has(m.orderId) && !arrivals.has(m.orderId)) arrivals.set(m.orderId, Date.parse(m.receivedAt));
    if (arrivals.size === expected.size) return arrivals;
    if (Date.now() > deadline) throw new Error(`only ${arrivals.size} of ${expected.size} webhooks arrived`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const run = Date.now().toString(36);
const stack = await startStack({
  ports: "random",
  logLevel: "warn",
  ...(process.env.BENCH_POSTGRESQL_URL ? { store: "postgresql" as const, postgresqlUrl: process.env.BENCH_POSTGRESQL_URL } : {}),
  env: { RATE_LIMIT_PER_MINUTE: "1000000", ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: "0" },
});
try {
  const warm = await placeAll(stack, `${run}w`, warmup);
  await webhookArrivals(stack, new Set(warm.map((p) => p.orderId)), 120_000);

  const idle: number[] = [];
  for (let i = 0; i < single; i++) {
    const placed = await place(stack, `${run}s`, i);
    const arrivals = await webhookArrivals(stack, new Set([placed.orderId]), 60_000);
    idle.push(arrivals.get(placed.orderId)! - placed.acceptedAt);
  }
  await fetch(`${stack.urls["webhook-inbox"]}/__inbox/messages`, { method: "DELETE" });

  const started = Date.now();
  const placed = await placeAll(stack, run, orders);
  const acceptSeconds = (Date.now() - started) / 1000;
  const arrivals = await webhookArrivals(stack, new Set(placed.map((p) => p.orderId)), 600_000);
  const totalSeconds = (Math.max(...arrivals.values()) - started) / 1000;

  const report = {
    mongodbBackend: stack.store.description,
    orders,
    concurrency,
    acceptedPerSecond: Math.round(orders / acceptSeconds),
    fulfilledPerSecond: Math.round((orders / totalSeconds) * 10) / 10,
    idleAcceptedToWebhookMs: summary(idle),
    acceptLatencyMs: summary(placed.map((p) => p.acceptedAt - p.sentAt)),
    acceptedToWebhookMs: summary(placed.map((p) => arrivals.get(p.orderId)! - p.acceptedAt)),
    rssMiB: Object.fromEntries(
      (["gateway", "catalogue", "fulfilment", "provisioning", "notification"] as ServiceName[]).map((n) => [n, rssMiB(stack.pid(n))]),
    ),
  };
  console.log(JSON.stringify(report, null, 2));
} finally {
  await stack.stop();
}
