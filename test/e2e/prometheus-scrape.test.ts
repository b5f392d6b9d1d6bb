// The dashboards and alerts, proven on a real run: a real Prometheus (Debian's
// `prometheus`) scrapes every service's /metrics, labelled as the chart's pods
// would be, while orders flow through a whole stack, including the unhappy
// paths the alerts watch (a Zoho 503, 429 and refusal, a failed order, dead
// and replayed webhooks, a forged event, a stale retry, a downstream outage,
// the webhook-retry job). Then every query of the dashboard and every
// operand of every alert must return data: a query over a metric the code
// never exposes, or with a wrong label, fails here.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ensureHelmBinary, findFreePorts, ManagedProcess, startStack, waitUntilReady, type Stack } from "@t2m/devstack";
import { createLogger, createMetrics, EventBus, serviceClient } from "@t2m/platform";
import { NotificationService } from "@t2m/proto/notification/v1/notification";
import { OrderEvents } from "@t2m/topology";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHART_DIR, findExecutableOnPath, helmTemplate, ofKind } from "../deploy/support.js";
import { dataQueries } from "../deploy/promql.js";
import { inboxReset, inboxRespondWith, newOrder, runStackJob, sandbox, t2mobileClient, waitFor } from "./support.js";

const NAMESPACE = "t2mobile";
const RELEASE = "t2m";
const SERVICES = ["gateway", "catalogue", "fulfilment", "provisioning", "notification"] as const;
/** The chart's Deployment names (release t2m), as the alerts match pods. */
const podOf = (service: string) => `${RELEASE}-t2mobile-fulfilment-${service}-5c6b7d8f9-x2k4q`;

let stack: Stack;
let prometheus: ManagedProcess | undefined;
let prometheusUrl = "";
let dataDir = "";

async function query(expr: string): Promise<{ resultType: string; result: unknown[] }> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { resultType: string; result: unknown[] } };
  if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
  return body.data;
}
const hasData = async (expr: string) => {
  const data = await query(expr);
  return data.resultType === "scalar" || data.result.length > 0;
};

beforeAll(async () => {
  const bin = findExecutableOnPath("prometheus");
  if (!bin) throw new Error("prometheus is missing: apt-get install -y --no-install-recommends prometheus (.ci/run does)");
  stack = await startStack({
    servers: "local",
    env: {
      // Webhooks die after three quick attempts; gauges, job metrics and retries refresh fast.
      WEBHOOK_RETRY_DELAYS_MS: "200,200",
      WEBHOOK_RETRY_JITTER: "0",
      WEBHOOK_STATS_INTERVAL_MS: "500",
      FULFILMENT_RETRY_INITIAL_MS: "200",
      FULFILMENT_SWEEP_INTERVAL_MS: "1000",
      ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: "0",
    },
  });
  dataDir = await mkdtemp(join(tmpdir(), "t2m-prometheus-"));
  const [port] = await findFreePorts(1);
  prometheusUrl = `http://127.0.0.1:${port}`;
  const targets = SERVICES.map((service) => ({
    targets: [new URL(stack.urls[service]).host],
    labels: { namespace: NAMESPACE, pod: podOf(service) },
  }));
  // As the chart's ServiceMonitor: every process's own `service` label is kept.
  const config = { global: { scrape_interval: "1s", evaluation_interval: "1s" }, scrape_configs: [{ job_name: "t2mobile", honor_labels: true, static_configs: targets }] };
  await writeFile(join(dataDir, "prometheus.yml"), JSON.stringify(config));
  prometheus = ManagedProcess.spawn({
    name: "prometheus",
    command: bin,
    args: [`--config.file=${join(dataDir, "prometheus.yml")}`, `--web.listen-address=127.0.0.1:${port}`, `--storage.tsdb.path=${join(dataDir, "data")}`, "--log.level=warn"],
    exitWithParent: true,
  });
  await waitUntilReady({ name: "prometheus", url: `${prometheusUrl}/-/ready`, timeoutMs: 30_000, intervalMs: 100, exited: prometheus.exited, lastLines: () => prometheus!.lastLines() });
}, 180_000);

afterAll(async () => {
  await prometheus?.stop({ timeoutMs: 10_000 });
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const api = () => t2mobileClient(stack);
async function place(overrides: Record<string, unknown> = {}): Promise<string> {
  const order = newOrder(overrides);
  const res = await api().submit(order, `scrape-${order.orderId}`);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return order.orderId;
}
const finalStatus = (orderId: string) =>
  waitFor(stack, `order ${orderId} to finish`, async () => {
    const status = (await api().order(orderId)).body.status as string;
    return status === "FULFILLED" || status === "FAILED" ? status : undefined;
  }, 90_000);

describe("a real Prometheus scraping a running stack", () => {
  it("finds data for every dashboard query and every alert operand while orders flow", async () => {
    // Orders that go well.
    const fine = await Promise.all(Array.from({ length: 6 }, () => place()));
    for (const id of fine) expect(await finalStatus(id)).toBe("FULFILLED");

    // A downstream outage the gateway answers with 5xx (and its RPC client counts). First, because
    // fulfilment's counters start again from nothing in its new process: what follows fills them.
    await stack.kill("fulfilment");
    const down = await api().order(fine[0]!);
    expect(down.status).toBeGreaterThanOrEqual(500);
    await stack.start("fulfilment");
    expect(await finalStatus(await place())).toBe("FULFILLED");

    // Zoho: a 503 (retried), a 429 (every call pauses), a refusal (the order fails).
    await sandbox(stack, "/faults", { method: "POST", body: { operation: "createSalesOrder", status: 503, times: 1 } });
    expect(await finalStatus(await place())).toBe("FULFILLED");
    await sandbox(stack, "/faults", { method: "POST", body: { operation: "createSalesOrder", status: 429, code: 45, times: 1, retryAfterSeconds: 1 } });
    expect(await finalStatus(await place())).toBe("FULFILLED");
    await sandbox(stack, "/faults", { method: "POST", body: { operation: "createSalesOrder", status: 400, code: 1001, message: "Invalid value passed for customer_id", times: 1 } });
    expect(await finalStatus(await place())).toBe("FAILED");

    // Webhooks: the receiver fails until a message has died (three attempts, 200 ms apart); then an operator replays it.
    await inboxRespondWith(stack, 500, 1_000);
    const dying = await place();
    await finalStatus(dying);
    const notification = serviceClient(NotificationService, { baseUrl: stack.urls.notification, metrics: createMetrics("scrape"), token: stack.rpcToken("operator") });
    const hourAgo = timestampFromDate(new Date(Date.now() - 3_600_000));
    await waitFor(stack, "a dead webhook", async () => ((await notification.listDeadLetters({ since: hourAgo })).messages.length > 0 ? true : undefined), 60_000);
    await inboxReset(stack);
    const replayed = await notification.replayDeadLetters({ since: hourAgo });
    expect(replayed.webhookIds.length).toBeGreaterThan(0);

    // A forged outcome event (refused by the forgery guard) and a stale retry (dropped by the worker).
    const events = await EventBus.connect({ url: stack.natsUrl, credentials: stack.natsAdmin, name: "scrape", logger: createLogger("scrape", "silent"), metrics: createMetrics("scrape"), ackWaitMs: 30_000 });
    try {
      await events.publish(OrderEvents.fulfilled, { orderId: fine[0]!, productId: "ZOHO_CRM_STD", tenure: "12_MONTHS", customerId: "someone-else", activationReference: "ZL-FORGED" }, { messageId: `forged-${fine[0]}` });
      await events.publish(OrderEvents.retryDue, { orderId: fine[1]!, attempt: 1, cause: "retry" }, { messageId: `stale-${fine[1]}` });
    } finally {
      await events.close();
    }

    // A partner past its reads budget (RATE_LIMIT_PER_MINUTE, 100 by default): 429s, counted by partner.
    const answers = await Promise.all(Array.from({ length: 110 }, () => api().products()));
    expect(answers.some((a) => a.status === 429)).toBe(true);

    // The scheduled jobs, as their CronJobs run them.
    await runStackJob(stack, "webhook-retry");
    await runStackJob(stack, "expiry-reminders");
    await runStackJob(stack, "renewal-check");

    const dashboard = JSON.parse(await readFile(join(CHART_DIR, "dashboards/t2mobile-overview.json"), "utf8")) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
      templating: { list: Array<{ name: string; query?: { query: string } }> };
    };
    const substitute = (expr: string) =>
      expr.replaceAll("$__rate_interval", "1m").replaceAll("$namespace", NAMESPACE).replaceAll("$service", ".*").replaceAll("${datasource}", "");
    const queries = new Map<string, string>();
    for (const panel of dashboard.panels) for (const target of panel.targets ?? []) queries.set(substitute(target.expr), `panel "${panel.title}"`);
    for (const variable of dashboard.templating.list) {
      const labelValues = variable.query ? /^label_values\((.*),\s*\w+\)$/.exec(variable.query.query) : null;
      if (labelValues) queries.set(substitute(labelValues[1]!), `variable $${variable.name}`);
    }
    const helm = (await ensureHelmBinary()).path;
    const objects = await helmTemplate(helm, { release: RELEASE, namespace: NAMESPACE, set: ["monitoring.prometheusRule.enabled=true"] });
    const [rule] = ofKind<{ spec: { groups: Array<{ rules: Array<{ alert?: string; expr: string }> }> } }>(objects, "PrometheusRule");
    for (const r of rule!.spec.groups.flatMap((g) => g.rules)) for (const q of dataQueries(r.expr)) queries.set(q, `alert ${r.alert}`);
    expect(queries.size).toBeGreaterThan(60);

    // Scrapes every second: give the last events a few scrapes, then every query must have data.
    let missing: string[] = [];
    await waitFor(stack, "every query to return data", async () => {
      missing = [];
      for (const [expr, where] of queries) if (!(await hasData(expr))) missing.push(`${where}: ${expr}`);
      return missing.length === 0 ? true : undefined;
    }, 90_000).catch(() => undefined);
    expect(missing, `queries without data:\n${missing.join("\n")}`).toEqual([]);

    // All of that ran within each service's NATS permissions: nats-server refused nothing.
    expect(stack.logs("nats", 300).filter((line) => /Violation/.test(line))).toEqual([]);

    // And the cover is what the issue asks for: orders, webhooks, Zoho and the jobs.
    const all = [...queries.keys()].join("\n");
    for (const metric of ["t2m_orders_finished_total", "t2m_webhook_attempts_total", "t2m_zoho_request_duration_seconds", "t2m_job_last_success_timestamp_seconds", "t2m_consumer_pending_messages"]) {
      expect(all).toContain(metric);
    }
  }, 300_000);
});

