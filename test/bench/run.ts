// npm run bench: the pipeline measured under load, printed as one table.
//
//  1. Intake: a bare floor (node:http, one insert, one JetStream publish with
//     ack; floor-server.ts) and the platform's gateway, side by side in one
//     run on the same FerretDB and NATS, with BENCH_CONNECTIONS (32)
//     connections for BENCH_INTAKE_SECONDS (8) each, twice, after
//     BENCH_WARMUP_SECONDS (5) of warm-up each, unique orders, the gateway's
//     rate limit raised. Zoho's budget stays on (as in
//     production), so the workers wait for it and the run measures intake.
//  2. Latency: 100 orders/s (BENCH_RATE) for 20 s (BENCH_LATENCY_SECONDS)
//     against a fresh stack with the sandbox's Zoho limit and our budget
//     off: time from each 202 to its verified ORDER_FULFILLED webhook.
//  3. Zoho-limited burst: 300 orders (BENCH_BURST) at once with the
//     sandbox enforcing Zoho's 100 calls/min and our budget on: time until
//     every webhook arrived, against the calls made at 100/min, and the
//     sandbox's 429s and FAILED orders.
//  4. Peak RSS of each service during 2 and 3.
//
// Each section gets a fresh stack as the tests do: FerretDB on the machine's
// PostgreSQL when one answers (DEVSTACK_POSTGRESQL_URL), in a database of its
// own dropped on stop; SQLite otherwise (then FerretDB sets the pace).
//  5. Job cost (test/bench/jobs.ts): each subscription job run as its
//     CronJob runs it, over BENCH_SUBSCRIPTIONS (100,000) subscriptions none
//     of which is due, against a run over none (goal: less than 2× apart).
// BENCH_ONLY=intake,latency,burst,jobs runs a subset. Timings are never asserted
// in tests; this is where they are measured.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT, startStack, type Stack } from "@t2m/devstack";
import { benchJobs, jobBenchLine } from "./jobs.js";
import { closedLoop, cpuSeconds, openLoop, pidsMatching, sampleRss, summarise, type ClosedLoopResult, type Summary } from "./load.js";
import { postgresqlUrl } from "./webhooks.js";

const env = process.env;
const only = new Set((env.BENCH_ONLY ?? "intake,latency,burst,jobs").split(",").map((s) => s.trim()));
const connections = Number(env.BENCH_CONNECTIONS ?? 32);
const intakeSeconds = Number(env.BENCH_INTAKE_SECONDS ?? 8);
const rate = Number(env.BENCH_RATE ?? 100);
const latencySeconds = Number(env.BENCH_LATENCY_SECONDS ?? 20);
const burstOrders = Number(env.BENCH_BURST ?? 300);
const SERVICES = ["gateway", "catalogue", "fulfilment", "provisioning", "notification"] as const;
const ALL_PROCESSES = [...SERVICES, "zoho-sandbox", "webhook-inbox", "nats", "ferretdb"] as const;
const run = Date.now().toString(36);
let sequence = 0;

function orderBody(prefix: string, customers: number) {
  const i = sequence++;
  const c = i % customers;
  const orderId = `B-${run}-${prefix}-${i}`;
  return {
    orderId,
    body: JSON.stringify({
      orderId,
      productId: "ZOHO_CRM_STD",
      customerId: `BENCH_${prefix}_${c}`,
      customerName: `Bench Customer ${c}`,
      customerEmail: `bench.${prefix.toLowerCase()}.${c}@example.com`,
      customerPhone: "08012345678",
      tenure: "12_MONTHS",
    }),
  };
}

let backend = "";

/** A fresh stack as the tests get one: FerretDB on PostgreSQL when one answers (a database of its own, dropped on stop). */
async function stackWith(extra: Record<string, string>): Promise<Stack> {
  const stack = await startStack({
    ports: "random",
    logLevel: "warn",
    env: { RATE_LIMIT_PER_MINUTE: "1000000000", ...extra, ...(JSON.parse(env.BENCH_ENV ?? "{}") as Record<string, string>) },
  });
  backend = stack.store.description;
  return stack;
}

/** Every verified ORDER_FULFILLED/ORDER_FAILED webhook the inbox holds, by order id (first arrival). */
async function webhooks(stack: Stack): Promise<Map<string, { type: string; at: number }>> {
  const res = await fetch(`${stack.urls["webhook-inbox"]}/__inbox/messages?verified=true`);
  const { messages } = (await res.json()) as { messages: Array<{ orderId: string; type: string; receivedAt: string }> };
  const byOrder = new Map<string, { type: string; at: number }>();
  for (const m of messages) if (!byOrder.has(m.orderId)) byOrder.set(m.orderId, { type: m.type, at: Date.parse(m.receivedAt) });
  return byOrder;
}

async function waitForWebhooks(stack: Stack, ids: readonly string[], timeoutMs: number): Promise<Map<string, { type: string; at: number }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await webhooks(stack);
    const missing = ids.filter((id) => !got.has(id)).length;
    if (missing === 0) return got;
    if (Date.now() > deadline) throw new Error(`${missing} of ${ids.length} webhooks did not arrive within ${timeoutMs / 1000} s\n${stack.recentOutput(20)}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

interface IntakeFigures {
  readonly floor: ClosedLoopResult[];
  readonly platform: ClosedLoopResult[];
  /** CPU milliseconds per accepted order, by process, per round. */
  readonly cpuMsPerOrder: Array<Record<string, number | string>>;
}

async function intake(): Promise<IntakeFigures> {
  const stack = await stackWith(JSON.parse(env.BENCH_INTAKE_ENV ?? "{}") as Record<string, string>);
  // The floor writes to the same store and NATS (its own collection and stream), so both are dropped with the stack.
  const floor = spawn(process.execPath, [join(REPO_ROOT, "test/dist/bench/floor-server.js")], {
    env: { ...env, MONGODB_URL: stack.mongodbUrl, NATS_URL: stack.natsUrl, NATS_USER: stack.natsAdmin.user, NATS_PASSWORD: stack.natsAdmin.password, PORT: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // Park Zoho calls (answers held back 5 minutes) so the workers wait, as
  // they wait for Zoho's budget in production, and the run measures intake.
  await fetch(`${stack.urls["zoho-sandbox"]}/__sandbox/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ operation: "listItems", delayMs: 300_000, times: -1 }),
  });
  try {
    const floorUrl = await new Promise<string>((resolve, reject) => {
      floor.stdout.on("data", (c: Buffer) => {
        const m = /FLOOR_URL=(\S+)/.exec(c.toString());
        if (m) resolve(m[1]!);
      });
      floor.once("exit", (code) => reject(new Error(`floor exited ${code}`)));
    });
    const loads = {
      floor: (prefix: string, seconds: number) =>
        closedLoop(floorUrl, {
          connections,
          durationMs: seconds * 1000,
          request: () => {
            const o = orderBody(prefix, 1_000_000);
            return { path: "/orders", headers: { "content-type": "application/json", "idempotency-key": `k-${o.orderId}` }, body: o.body };
          },
        }),
      platform: (prefix: string, seconds: number) =>
        closedLoop(stack.urls.gateway, {
          connections,
          durationMs: seconds * 1000,
          request: () => {
            const o = orderBody(prefix, 1_000_000);
            return {
              path: "/t2mobile/fulfilment",
              headers: { "content-type": "application/json", authorization: `Bearer ${stack.apiKey}`, "idempotency-key": `k-${o.orderId}` },
              body: o.body,
            };
          },
        }),
    };
    // Both warm up for the same 5 s before anything is measured: what is compared is steady
    // state, as in a long-running pod, not the platform's larger JIT and connection warm-up.
    const warmUpSeconds = Number(env.BENCH_WARMUP_SECONDS ?? 5);
    await loads.floor("FW", warmUpSeconds);
    await loads.platform("PW", warmUpSeconds);
    const result: IntakeFigures = { floor: [], platform: [], cpuMsPerOrder: [] };
    const processes = async () => ({
      gateway: stack.pid("gateway"),
      fulfilment: stack.pid("fulfilment"),
      floor: floor.pid,
      ferretdb: stack.pid("ferretdb"),
      nats: stack.pid("nats"),
      postgresql: await pidsMatching("postgres: 15/main: postgres "),
      bench: process.pid,
    });
    for (let round = 0; round < 2; round++) {
      for (const [kind, load] of [["floor", loads.floor], ["platform", loads.platform]] as const) {
        const pids = await processes();
        const before = await cpuSeconds(pids);
        const figures = await load(`${kind}${round}`, intakeSeconds);
        const after = await cpuSeconds(pids);
        result[kind].push(figures);
        result.cpuMsPerOrder.push({
          kind,
          ...Object.fromEntries(Object.keys(after).map((k) => [k, Math.round(((after[k]! - before[k]!) * 1000 * 100) / figures.completed) / 100])),
        });
      }
    }
    return result;
  } finally {
    floor.kill("SIGTERM");
    await stack.stop();
  }
}

interface LatencyFigures {
  /** CPU milliseconds per order by process over the measured run. */
  readonly cpuMsPerOrder: Record<string, number>;
  readonly sent: number;
  readonly acceptedPerSecond: number;
  readonly acceptMs: Summary;
  readonly toWebhookMs: Summary;
  readonly rss: Record<string, number>;
}

async function latency(): Promise<LatencyFigures> {
  const stack = await stackWith({ ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: "0", ZOHO_BUDGET_CALLS_PER_MINUTE: "0", ZOHO_SANDBOX_MAX_CONCURRENT: "0", ZOHO_BUDGET_MAX_CONCURRENT: "0" });
  const rss = sampleRss(() => Object.fromEntries(SERVICES.map((s) => [s, stack.pid(s)])));
  try {
    // Warm up: a few orders through every hop.
    const warm = await Promise.all(Array.from({ length: 20 }, () => submit(stack, orderBody("LW", 50))));
    await waitForWebhooks(stack, warm.map((w) => w.orderId), 60_000);
    const accepted: Array<{ orderId: string; sentAt: number; acceptedAt: number }> = [];
    const processes = async () => ({
      ...Object.fromEntries(ALL_PROCESSES.map((s) => [s, stack.pid(s)])),
      postgresql: await pidsMatching("postgres: 15/main: postgres "),
      bench: process.pid,
    });
    const pids = await processes();
    const before = await cpuSeconds(pids);
    const { seconds } = await openLoop({
      ratePerSecond: rate,
      durationMs: latencySeconds * 1000,
      send: async () => void accepted.push(await submit(stack, orderBody("L", 500))),
    });
    const arrived = await waitForWebhooks(stack, accepted.map((a) => a.orderId), 300_000);
    const after = await cpuSeconds(pids);
    return {
      cpuMsPerOrder: Object.fromEntries(Object.keys(after).map((k) => [k, Math.round(((after[k]! - before[k]!) * 1000 * 100) / accepted.length) / 100])),
      sent: accepted.length,
      acceptedPerSecond: accepted.length / seconds,
      acceptMs: summarise(accepted.map((a) => a.acceptedAt - a.sentAt)),
      toWebhookMs: summarise(accepted.map((a) => arrived.get(a.orderId)!.at - a.acceptedAt)),
      rss: await rss.stop(),
    };
  } finally {
    await stack.stop();
  }
}

async function submit(stack: Stack, order: { orderId: string; body: string }) {
  const sentAt = Date.now();
  const res = await fetch(`${stack.urls.gateway}/t2mobile/fulfilment`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.apiKey}`, "idempotency-key": `k-${order.orderId}`, "content-type": "application/json" },
    body: order.body,
  });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`order ${order.orderId}: HTTP ${res.status}`);
  return { orderId: order.orderId, sentAt, acceptedAt: Date.now() };
}

interface BurstFigures {
  readonly orders: number;
  readonly seconds: number;
  readonly zohoCalls: number;
  readonly idealSeconds: number;
  readonly zoho429: number;
  readonly failed: number;
  readonly rss: Record<string, number>;
}

async function burst(): Promise<BurstFigures> {
  const stack = await stackWith({});
  const rss = sampleRss(() => Object.fromEntries(SERVICES.map((s) => [s, stack.pid(s)])));
  try {
    const started = Date.now();
    const placed = await Promise.all(Array.from({ length: burstOrders }, () => submit(stack, orderBody("Z", 100))));
    const arrived = await waitForWebhooks(stack, placed.map((p) => p.orderId), 60 * 60 * 1000);
    const seconds = (Math.max(...[...arrived.values()].map((a) => a.at)) - started) / 1000;
    const state = (await (await fetch(`${stack.urls["zoho-sandbox"]}/__sandbox/state`)).json()) as { requests: Record<string, { total: number; byStatus: Record<string, number> }> };
    let zohoCalls = 0;
    let zoho429 = 0;
    for (const [operation, count] of Object.entries(state.requests)) {
      if (operation === "token") continue;
      zohoCalls += count.total - (count.byStatus["429"] ?? 0);
      zoho429 += count.byStatus["429"] ?? 0;
    }
    const failed = [...arrived.values()].filter((a) => a.type !== "ORDER_FULFILLED").length;
    return { orders: placed.length, seconds, zohoCalls, idealSeconds: (zohoCalls / 100) * 60, zoho429, failed, rss: await rss.stop() };
  } finally {
    await stack.stop();
  }
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

{
  const rows: string[][] = [];
  const report: Record<string, unknown> = { connections, run };
  if (only.has("intake")) {
    const figures = await intake();
    report.intake = figures;
    const floorRate = mean(figures.floor.map((r) => r.perSecond));
    const platformRate = mean(figures.platform.map((r) => r.perSecond));
    const floorP99 = mean(figures.floor.map((r) => r.latencyMs.p99));
    const platformP99 = mean(figures.platform.map((r) => r.latencyMs.p99));
    const statuses = (rs: ClosedLoopResult[]) => JSON.stringify(rs.map((r) => r.statuses));
    rows.push(["Intake, bare floor", `${figures.floor.map((r) => fmt(r.perSecond)).join(" / ")} orders/s; p99 ${figures.floor.map((r) => fmt(r.latencyMs.p99)).join(" / ")} ms`, "", statuses(figures.floor)]);
    rows.push([
      "Intake, platform (gateway)",
      `${figures.platform.map((r) => fmt(r.perSecond)).join(" / ")} orders/s (${fmt(platformRate / floorRate, 2)}× the floor); p99 ${figures.platform.map((r) => fmt(r.latencyMs.p99)).join(" / ")} ms`,
      "≥ 1.0× floor, p99 < floor's",
      `${platformRate >= floorRate && platformP99 < floorP99 ? "met" : "NOT met"} ${statuses(figures.platform)}`,
    ]);
  }
  if (only.has("latency")) {
    const figures = await latency();
    report.latency = figures;
    rows.push([
      `202 → webhook at ${rate} orders/s for ${latencySeconds} s (Zoho limit off)`,
      `p50 ${fmt(figures.toWebhookMs.p50)} ms, p99 ${fmt(figures.toWebhookMs.p99)} ms, max ${fmt(figures.toWebhookMs.max)} ms; ${figures.sent} orders, all delivered; 202 p99 ${fmt(figures.acceptMs.p99)} ms`,
      "p99 ≤ 500 ms (aim 250)",
      figures.toWebhookMs.p99 <= 500 ? "met" : "NOT met",
    ]);
    rows.push(["Peak RSS at that load", Object.entries(figures.rss).map(([s, m]) => `${s} ${m}`).join(", ") + " MiB", "≤ 120 MB each", Object.values(figures.rss).every((m) => m <= 114) ? "met" : "NOT met"]);
  }
  if (only.has("burst")) {
    const figures = await burst();
    report.burst = figures;
    const limit = figures.idealSeconds * 1.1 + 30;
    rows.push([
      `Zoho-limited burst of ${figures.orders} orders`,
      `${fmt(figures.seconds)} s for ${figures.zohoCalls} Zoho calls (ideal at 100/min: ${fmt(figures.idealSeconds)} s); ${figures.zoho429} × 429; ${figures.failed} FAILED`,
      "≤ 1.1 × ideal + 30 s, 0 × 429, 0 FAILED",
      figures.seconds <= limit && figures.zoho429 === 0 && figures.failed === 0 ? "met" : "NOT met",
    ]);
    rows.push(["Peak RSS in the burst", Object.entries(figures.rss).map(([s, m]) => `${s} ${m}`).join(", ") + " MiB", "≤ 120 MB each", Object.values(figures.rss).every((m) => m <= 114) ? "met" : "NOT met"]);
  }
  if (only.has("jobs")) {
    const figures = await benchJobs({
      subscriptions: Number(env.BENCH_SUBSCRIPTIONS ?? 100_000),
      runs: Number(env.BENCH_JOB_RUNS ?? 5),
      postgresqlUrl: await postgresqlUrl(),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    report.jobs = { ...figures, dueQueryPlan: undefined, fieldQueryPlan: { ...figures.fieldQueryPlan, plan: undefined } };
    backend ||= figures.mongodbBackend;
    rows.push([
      `Job cost: a run over ${figures.subscriptions} subscriptions none due vs over none`,
      jobBenchLine(figures),
      "< 2× apart",
      figures.jobs.every((j) => j.ratio < 2) ? "met" : "NOT met",
    ]);
  }
  report.backend = backend;
  console.log(`\nnpm run bench: ${backend}, ${connections} connections, ${new Date().toISOString()}\n`);
  console.log("| measure | result | target | |");
  console.log("|---|---|---|---|");
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
  console.log(`\n${JSON.stringify(report)}`);
}
