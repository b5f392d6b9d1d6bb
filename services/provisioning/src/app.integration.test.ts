// ProvisioningService over Connect as its callers see it, on real NATS (the
// shared call budget) and FerretDB, with the Zoho sandbox: the error
// contract (codes, reasons, RetryInfo), voiding, rate-limit pauses and the
// metrics behind the alerts.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ensureFerretDbBinary, startFerretDb, startNatsServer, type FerretDb, type NatsServer } from "@t2m/devstack";
import { connectHandler, createMetrics, reasonOf, runService, serviceClient, type RunningService } from "@t2m/platform";
import { RetryInfoSchema } from "@t2m/proto/common/v1/common";
import { ProvisioningService, SalesOrderDisposition } from "@t2m/proto/provisioning/v1/provisioning";
import { KvBuckets, SubscriptionsStream } from "@t2m/topology";
import { startZohoSandbox, type RunningZohoSandbox } from "@t2m/zoho-sandbox";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KvBudgetStore } from "./adapters/budget-kv.js";
import { createProvisioningMetrics } from "./adapters/metrics.js";
import { SandboxLicenceProvisioner } from "./adapters/sandbox-licence-provisioner.js";
import { SandboxDefaults } from "@t2m/topology";
import { ZohoInventoryClient } from "./adapters/zoho/index.js";
import { createProvisioning } from "./app.js";
import type { BudgetLimits } from "./domain/budget.js";
import { CallBudget } from "./domain/call-budget.js";

let nats: NatsServer;
let ferretDb: FerretDb;
let sandbox: RunningZohoSandbox;
const running: RunningService[] = [];
let instance = 0;

beforeAll(async () => {
  await ensureFerretDbBinary();
  [nats, ferretDb, sandbox] = await Promise.all([startNatsServer(), startFerretDb(), startZohoSandbox()]);
}, 300_000);

afterAll(async () => {
  for (const service of running) await service.stop();
  await sandbox?.close();
  await Promise.all([nats?.stop(), ferretDb?.stop()]);
});

beforeEach(() => {
  sandbox.state.faults.clear();
});

const roomy: BudgetLimits = { callsPerWindow: 1_000, windowMs: 60_000, marginMs: 2_000, maxConcurrent: 10, leaseMs: 20_000 };

/** Starts provisioning in this process with its own database and budget key; `rewrite` may change Zoho's answers. */
async function startProvisioning(options: { limits?: BudgetLimits; maxWaitMs?: number; rewrite?: (url: URL, body: unknown) => unknown } = {}) {
  const name = `provisioning_it_${++instance}`;
  const service = await runService<true, true>({
    name,
    port: 0,
    host: "127.0.0.1",
    logLevel: "silent",
    shutdownTimeoutMs: 5_000,
    handleSignals: false,
    nats: { url: nats.url, ackWaitMs: 30_000, streams: [SubscriptionsStream], consumers: [] },
    mongodbUrl: ferretDb.databaseUrl(name),
    // Provisioning's own behaviour; the service tokens are tested across the whole stack (test/e2e/service-traffic.test.ts).
    rpcAuth: "unauthenticated",
    start: async (rt) => {
      const metrics = createProvisioningMetrics(rt.metrics.registry);
      const budget = new CallBudget({
        store: new KvBudgetStore(await rt.events.kv(KvBuckets.zohoBudget), KvBudgetStore.keyFor(name)),
        limits: options.limits ?? roomy,
        holder: name,
        observer: metrics.budgetObserver,
      });
      const rewriting: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        if (!options.rewrite || !response.headers.get("content-type")?.includes("json")) return response;
        const body = options.rewrite(new URL(String(input)), await response.json());
        return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
      };
      const zoho = new ZohoInventoryClient({
        accountsUrl: sandbox.url,
        apiUrl: sandbox.apiUrl,
        organizationId: sandbox.organizationId,
        ...sandbox.credentials,
        logger: rt.logger,
        budget,
        fetch: rewriting,
        onRequest: metrics.onZohoRequest,
        onRateLimited: metrics.onRateLimited,
      });
      const provisioning = await createProvisioning({
        runtime: rt,
        database: rt.database,
        zoho,
        licences: new SandboxLicenceProvisioner(SandboxDefaults.sandboxLicenceKey),
        events: rt.events,
        maxWaitMs: options.maxWaitMs ?? 20_000,
        metrics,
      });
      return connectHandler(provisioning.routes, rt.logger, rt.metrics);
    },
  });
  running.push(service);
  const client = serviceClient(ProvisioningService, { baseUrl: service.url, metrics: createMetrics(`${name}-client`), token: undefined, timeoutMs: 60_000 });
  const metricsText = () => service.runtime.metrics.registry.metrics();
  return { client, metricsText };
}

let sequence = 0;
function salesOrderRequest(overrides: { orderId?: string; sku?: string; customerId?: string } = {}) {
  sequence++;
  const orderId = overrides.orderId ?? `T2M-IT-${Date.now().toString(36)}-${sequence}`;
  return {
    orderId,
    acceptedAt: timestampFromMs(Date.now() - 1_000),
    customer: { customerId: overrides.customerId ?? `T2M_USER_${sequence}`, name: "Ada Obi", email: `ada.${sequence}@example.ng`, phone: "08012345678" },
    line: { sku: overrides.sku ?? "ZOHO-CRM-STD", name: "Zoho CRM Standard", description: "12 months", rate: { currencyCode: "NGN", amountMinor: 21_600_000n }, quantity: 1 },
  };
}

async function connectErrorOf(promise: Promise<unknown>): Promise<ConnectError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(error instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${String(error)}`);
  return error;
}

/** The sum of a series' samples that carry every given label, whatever the labels' order. */
const metricValue = (text: string, series: string, labels: Record<string, string> = {}) =>
  text
    .split("\n")
    .filter((line) => line.startsWith(`${series}{`) || line.startsWith(`${series} `))
    .filter((line) => Object.entries(labels).every(([name, value]) => line.includes(`${name}="${value}"`)))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);

describe("CreateSalesOrder", () => {
  it("creates and confirms one sales order per order, and answers a repeat from its record", async () => {
    const { client } = await startProvisioning();
    const request = salesOrderRequest();
    const first = await client.createSalesOrder(request);
    expect(first.zohoSalesOrderNumber).toBe(request.orderId);
    expect(await client.createSalesOrder(request)).toEqual(first);
    const zoho = sandbox.state.org.salesOrders().filter((o) => o.salesorder_number === request.orderId);
    expect(zoho).toEqual([expect.objectContaining({ salesorder_id: first.zohoSalesOrderId, status: "confirmed" })]);
  });

  it("answers RESOURCE_EXHAUSTED with RetryInfo, not a failure, when the budget cannot fit the order in time", async () => {
    const { client, metricsText } = await startProvisioning({ limits: { ...roomy, callsPerWindow: 2 }, maxWaitMs: 1_000 });
    const error = await connectErrorOf(client.createSalesOrder(salesOrderRequest()));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(reasonOf(error)).toBe("ZOHO_BUDGET_EXHAUSTED");
    const retry = error.findDetails(RetryInfoSchema)[0];
    expect(Number(retry?.retryDelayMs)).toBeGreaterThan(1_000);
    const text = await metricsText();
    expect(metricValue(text, "t2m_zoho_budget_wait_seconds_count", { outcome: "exhausted" })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, "t2m_provisioning_operations_total", { operation: "create_sales_order", result: "deferred" })).toBe(1);
  });

  it("pauses on a 429, makes the call again, and counts the pause", async () => {
    const { client, metricsText } = await startProvisioning();
    sandbox.state.faults.add({ operation: "findContacts", status: 429, times: 1, retryAfterSeconds: 1 });
    const done = await client.createSalesOrder(salesOrderRequest());
    expect(done.zohoSalesOrderId).toBeTruthy();
    const text = await metricsText();
    expect(metricValue(text, "t2m_zoho_rate_limit_pauses_total", { operation: "findContacts" })).toBe(1);
    expect(metricValue(text, "t2m_zoho_calls_total", { operation: "findContacts", outcome: "rate_limited" })).toBe(1);
  });

  it("answers ABORTED ZOHO_RECONCILE_PENDING when Zoho says the number is taken but no order with it can be found", async () => {
    const { client } = await startProvisioning();
    const request = salesOrderRequest();
    sandbox.state.faults.add({ operation: "createSalesOrder", status: 400, code: 1001, message: `Sales Order "${request.orderId}" already exists.`, times: 1 });
    const error = await connectErrorOf(client.createSalesOrder(request));
    expect(error.code).toBe(Code.Aborted);
    expect(reasonOf(error)).toBe("ZOHO_RECONCILE_PENDING");
    // Once Zoho lets the order through, the same call succeeds.
    expect((await client.createSalesOrder(request)).zohoSalesOrderNumber).toBe(request.orderId);
  });

  it("answers DATA_LOSS INTEGRITY_ERROR when Zoho gives an order a sales order another order holds, and counts it", async () => {
    let reissue: string | undefined;
    const { client, metricsText } = await startProvisioning({
      rewrite: (url, body) => {
        const created = (body as { salesorder?: { salesorder_id: string } }).salesorder;
        if (reissue && created && url.pathname.endsWith("/salesorders")) created.salesorder_id = reissue;
        return body;
      },
    });
    const first = await client.createSalesOrder(salesOrderRequest());
    reissue = first.zohoSalesOrderId;
    const error = await connectErrorOf(client.createSalesOrder(salesOrderRequest()));
    expect(error.code).toBe(Code.DataLoss);
    expect(reasonOf(error)).toBe("INTEGRITY_ERROR");
    expect(metricValue(await metricsText(), "t2m_integrity_errors_total")).toBe(1);
  });

  it("answers FAILED_PRECONDITION with a reason for what Zoho will never accept, and INVALID_ARGUMENT for a bad request", async () => {
    const { client } = await startProvisioning();
    const missing = await connectErrorOf(client.createSalesOrder(salesOrderRequest({ sku: "NO-SUCH-SKU" })));
    expect([missing.code, reasonOf(missing)]).toEqual([Code.FailedPrecondition, "ZOHO_ITEM_MISSING"]);
    sandbox.state.faults.add({ operation: "createSalesOrder", status: 400, code: 4, message: "Invalid value passed for rate", times: 1 });
    const rejected = await connectErrorOf(client.createSalesOrder(salesOrderRequest()));
    expect([rejected.code, reasonOf(rejected)]).toEqual([Code.FailedPrecondition, "ZOHO_REJECTED"]);
    const invalid = await connectErrorOf(client.createSalesOrder({ ...salesOrderRequest(), orderId: "" }));
    expect(invalid.code).toBe(Code.InvalidArgument);
  });

  it("answers UNAVAILABLE for a Zoho failure worth retrying", async () => {
    const { client } = await startProvisioning();
    sandbox.state.faults.add({ operation: "createSalesOrder", status: 503, times: 1 });
    const error = await connectErrorOf(client.createSalesOrder(salesOrderRequest()));
    expect([error.code, reasonOf(error)]).toEqual([Code.Unavailable, "ZOHO_UNAVAILABLE"]);
  });
});

describe("VoidSalesOrder", () => {
  it("voids the order's sales order, says NONE when there is none, and flags what Zoho will not void", async () => {
    const { client, metricsText } = await startProvisioning();
    expect(await client.voidSalesOrder({ orderId: "T2M-NEVER-MADE", reason: "INVALID_ORDER" })).toMatchObject({
      disposition: SalesOrderDisposition.NONE,
      zohoSalesOrderId: "",
    });

    const voided = await client.createSalesOrder(salesOrderRequest());
    const request = { orderId: sandbox.state.org.getSalesOrder(voided.zohoSalesOrderId).salesorder_number, reason: "LICENCE_FAILED" };
    expect(await client.voidSalesOrder(request)).toMatchObject({ disposition: SalesOrderDisposition.VOIDED, zohoSalesOrderId: voided.zohoSalesOrderId });
    expect(await client.voidSalesOrder(request)).toMatchObject({ disposition: SalesOrderDisposition.VOIDED });
    expect(sandbox.state.org.getSalesOrder(voided.zohoSalesOrderId).status).toBe("void");

    const kept = salesOrderRequest();
    await client.createSalesOrder(kept);
    sandbox.state.faults.add({ operation: "voidSalesOrder", status: 400, code: 36014, message: "Sales order cannot be voided", times: 1 });
    expect((await client.voidSalesOrder({ orderId: kept.orderId, reason: "LICENCE_FAILED" })).disposition).toBe(SalesOrderDisposition.FLAGGED);
    expect(metricValue(await metricsText(), "t2m_zoho_sales_orders_flagged_total")).toBe(1);

    const invalid = await connectErrorOf(client.voidSalesOrder({ orderId: "", reason: "X" }));
    expect(invalid.code).toBe(Code.InvalidArgument);
  });
});
