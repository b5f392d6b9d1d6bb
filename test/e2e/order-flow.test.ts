// End to end: the whole platform as separate processes on real NATS
// JetStream and a real MongoDB-wire server (FerretDB), driven through the
// gateway exactly as T2Mobile would. Zoho is the sandbox (a contract-tested
// double); webhooks go to the local inbox and are verified here again with
// the standardwebhooks library.
import { startStack, type Stack } from "@t2m/devstack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOtlpCollector } from "./otlp-collector.js";
import {
  inboxMessages,
  newOrder,
  salesOrdersNumbered,
  sandbox,
  t2mobileClient,
  verifyWebhook,
  waitFor,
  type InboxMessage,
} from "./support.js";

let stack: Stack;
let collector: Awaited<ReturnType<typeof startOtlpCollector>>;
let api: ReturnType<typeof t2mobileClient>;

beforeAll(async () => {
  collector = await startOtlpCollector();
  stack = await startStack({
    ports: "random",
    logLevel: "info",
    env: {
      // Short redelivery and retry timings so crash and retry paths finish in seconds.
      NATS_ACK_WAIT_MS: "2000",
      WEBHOOK_RETRY_DELAYS_MS: "300,600,1000,2000,3000",
      FULFILMENT_ATTEMPT_LEASE_MS: "3000",
      FULFILMENT_SWEEP_INTERVAL_MS: "500",
      FULFILMENT_RETRY_INITIAL_MS: "200",
      RATE_LIMIT_PER_MINUTE: "100000",
      ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: "0",
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: "200",
    },
  });
  api = t2mobileClient(stack);
});

afterAll(async () => {
  await stack?.stop();
  await collector?.close();
});

async function webhooksFor(orderId: string, count = 1): Promise<InboxMessage[]> {
  return waitFor(stack, `${count} webhook(s) for ${orderId}`, async () => {
    const messages = (await inboxMessages(stack, orderId)).filter((m) => m.verified);
    return messages.length >= count ? messages : undefined;
  });
}

async function finalOrder(orderId: string) {
  return waitFor(stack, `order ${orderId} to finish`, async () => {
    const res = await api.order(orderId);
    return res.body.status === "FULFILLED" || res.body.status === "FAILED" ? res.body : undefined;
  });
}

function expectProblem(res: { status: number; contentType: string; body: any }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.contentType).toContain("application/problem+json");
  expect(res.body).toMatchObject({ status, code, type: expect.stringMatching(/^https:\/\//), title: expect.any(String), detail: expect.any(String) });
}

describe("catalogue", () => {
  it("lists products with tenures and NGN prices", async () => {
    const res = await api.products();
    expect(res.status).toBe(200);
    const crm = res.body.products.find((p: any) => p.productId === "ZOHO_CRM_STD");
    expect(crm.tenures).toContainEqual({ tenure: "12_MONTHS", months: 12, price: { currency: "NGN", amount: "216000.00" } });
  });
});

describe("placing an order", () => {
  it("accepts, fulfils through Zoho, and sends one verified ORDER_FULFILLED webhook", async () => {
    const order = newOrder();
    const started = Date.now();
    const accepted = await api.submit(order, `key-${order.orderId}`);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ orderId: order.orderId, status: "PENDING", isDuplicate: false, productId: "ZOHO_CRM_STD" });
    expect(accepted.headers.get("location")).toBe(`/t2mobile/orders/${order.orderId}`);

    const [webhook] = await webhooksFor(order.orderId);
    const elapsedMs = Date.now() - started;
    console.info(`accepted order → ORDER_FULFILLED webhook received: ${elapsedMs} ms`);
    const verified = verifyWebhook(stack, webhook!) as any;
    expect(verified.type).toBe("ORDER_FULFILLED");
    expect(verified.data).toMatchObject({
      orderId: order.orderId,
      status: "FULFILLED",
      productId: "ZOHO_CRM_STD",
      tenure: "12_MONTHS",
      customerId: order.customerId,
    });

    const stored = await finalOrder(order.orderId);
    expect(stored.status).toBe("FULFILLED");
    const salesOrders = await salesOrdersNumbered(stack, order.orderId);
    expect(salesOrders).toHaveLength(1);
    expect(salesOrders[0]!.status).toBe("confirmed");
    expect(stored.zohoSalesOrderId).toBe(salesOrders[0]!.salesorder_id);
    expect(verified.data.zohoSalesOrderId).toBe(stored.zohoSalesOrderId);
    expect(verified.data.activationReference).toBe(stored.activationReference);
    expect(stored.activationReference).toMatch(/^ZL-/);
    // Expiry is start + 12 months.
    const months = (new Date(stored.expiryDate).getTime() - new Date(stored.fulfilledAt).getTime()) / (30.44 * 24 * 3600 * 1000);
    expect(Math.round(months)).toBe(12);
    expect(verified.data.expiryDate).toBe(stored.expiryDate);
  });

  it("absorbs a repeated request and rejects a reused key or order id", async () => {
    const order = newOrder();
    const key = `key-${order.orderId}`;
    expect((await api.submit(order, key)).status).toBe(202);
    const again = await api.submit(order, key);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ orderId: order.orderId, isDuplicate: true });

    expectProblem(await api.submit({ ...order, tenure: "1_MONTH" }, key), 422, "IDEMPOTENCY_KEY_REUSED");
    expectProblem(await api.submit(order, `${key}-other`), 409, "ORDER_ID_TAKEN");

    await webhooksFor(order.orderId);
    expect(await salesOrdersNumbered(stack, order.orderId)).toHaveLength(1);
    // The duplicate after fulfilment still answers 200 with the stored order.
    const late = await api.submit(order, key);
    expect(late.status).toBe(200);
    expect(late.body.isDuplicate).toBe(true);
  });
});

describe("rejected requests store nothing", () => {
  const expectNotStored = async (orderId: string) => expectProblem(await api.order(orderId), 404, "ORDER_NOT_FOUND");

  it("401 without the key or with a wrong one", async () => {
    const order = newOrder();
    expectProblem(await api.call("GET", "/t2mobile/products", { key: null }), 401, "UNAUTHORIZED");
    const wrong = await api.call("POST", "/t2mobile/fulfilment", { key: "not-the-key-at-all", idempotencyKey: "k", body: order });
    expectProblem(wrong, 401, "UNAUTHORIZED");
    expect(wrong.headers.get("www-authenticate")).toContain("Bearer");
    await expectNotStored(order.orderId);
  });

  it("400 without an Idempotency-Key", async () => {
    const order = newOrder();
    const res = await api.call("POST", "/t2mobile/fulfilment", { body: order });
    expectProblem(res, 400, "INVALID_REQUEST");
    expect(res.body.errors).toContainEqual({ field: "Idempotency-Key", detail: expect.any(String) });
    await expectNotStored(order.orderId);
  });

  it("400 for malformed JSON", async () => {
    expectProblem(await api.call("POST", "/t2mobile/fulfilment", { idempotencyKey: "k-json", rawBody: '{"orderId": "X1",' }), 400, "MALFORMED_JSON");
  });

  it("400 for a missing field, listing it", async () => {
    const { customerEmail, ...order } = newOrder();
    const res = await api.submit(order, `key-${order.orderId}`);
    expectProblem(res, 400, "INVALID_REQUEST");
    expect(res.body.errors).toEqual([{ field: "customerEmail", detail: "is required" }]);
    await expectNotStored(order.orderId);
  });

  it("400 for ill-typed fields, objects where strings belong included", async () => {
    const order = newOrder({ customerName: { first: "John" }, customerPhone: 8012345678 });
    const res = await api.submit(order, `key-${order.orderId}`);
    expectProblem(res, 400, "INVALID_REQUEST");
    expect(res.body.errors.map((e: any) => e.field)).toEqual(["customerName", "customerPhone"]);
    await expectNotStored(order.orderId as string);
  });

  it("400 for invalid values", async () => {
    const order = newOrder({ customerEmail: "not-an-email" });
    const res = await api.submit(order, `key-${order.orderId}`);
    expectProblem(res, 400, "INVALID_REQUEST");
    expect(res.body.errors).toEqual([{ field: "customerEmail", detail: "must be an email address" }]);
    await expectNotStored(order.orderId);
  });

  it("422 for an unknown product or a tenure the product doesn't offer", async () => {
    const unknown = newOrder({ productId: "ZOHO_NOT_A_PRODUCT" });
    expectProblem(await api.submit(unknown, `key-${unknown.orderId}`), 422, "PRODUCT_NOT_FOUND");
    await expectNotStored(unknown.orderId);
    const badTenure = newOrder({ productId: "ZOHO_BOOKS_STD", tenure: "1_MONTH" });
    expectProblem(await api.submit(badTenure, `key-${badTenure.orderId}`), 422, "TENURE_NOT_OFFERED");
    await expectNotStored(badTenure.orderId);
  });

  it("404 for an unknown order and an unknown route", async () => {
    expectProblem(await api.order("T2M_DOES_NOT_EXIST"), 404, "ORDER_NOT_FOUND");
    expectProblem(await api.call("GET", "/t2mobile/nothing-here"), 404, "NOT_FOUND");
  });
});

describe("failures", () => {
  it("a Zoho rejection fails the order with an ORDER_FAILED webhook carrying a documented code, not Zoho's words", async () => {
    await sandbox(stack, "/faults", { method: "POST", body: { operation: "createSalesOrder", status: 400, code: 1001, message: "Invalid value passed for customer_id", times: 1 } });
    const order = newOrder();
    expect((await api.submit(order, `key-${order.orderId}`)).status).toBe(202);
    const [webhook] = await webhooksFor(order.orderId);
    const verified = verifyWebhook(stack, webhook!) as any;
    expect(verified.type).toBe("ORDER_FAILED");
    expect(verified.data).toMatchObject({ orderId: order.orderId, status: "FAILED", zohoSalesOrderId: null, activationReference: null, failureCode: "ORDER_REJECTED" });
    expect(verified.data.error).toBe(verified.data.failureReason);
    const stored = await finalOrder(order.orderId);
    expect(stored).toMatchObject({ status: "FAILED", failureCode: "ORDER_REJECTED", failureReason: verified.data.failureReason });
    // Internal text (Zoho's message, ids, hosts) stays in IconTech's logs.
    expect(JSON.stringify([stored, verified])).not.toMatch(/customer_id|Invalid value|1001|127\.0\.0\.1/);
    expect(await salesOrdersNumbered(stack, order.orderId)).toHaveLength(0);
  });

  it("a transient Zoho failure is retried and the order still fulfilled", async () => {
    await sandbox(stack, "/faults", { method: "POST", body: { operation: "createSalesOrder", status: 503, times: 1 } });
    const order = newOrder();
    expect((await api.submit(order, `key-${order.orderId}`)).status).toBe(202);
    const [webhook] = await webhooksFor(order.orderId);
    expect(webhook!.type).toBe("ORDER_FULFILLED");
    expect(await salesOrdersNumbered(stack, order.orderId)).toHaveLength(1);
  });

  it("a failed webhook attempt is retried with the same webhook id, and every attempt is logged", async () => {
    await fetch(`${stack.urls["webhook-inbox"]}/__inbox/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: 500, times: 1 }),
    });
    const order = newOrder();
    expect((await api.submit(order, `key-${order.orderId}`)).status).toBe(202);
    const received = await webhooksFor(order.orderId, 2);
    expect(new Set(received.map((m) => m.webhookId)).size).toBe(1);
    expect(received.map((m) => verifyWebhook(stack, m))).toHaveLength(2);
  });
});

describe("crash safety", () => {
  it("survives SIGKILL of fulfilment after the sales order is created: one sales order, one webhook id", async () => {
    // Zoho applies the confirmation but holds its answer, so the sales order
    // exists while fulfilment is still waiting, not yet FULFILLED.
    await sandbox(stack, "/faults", { method: "POST", body: { operation: "confirmSalesOrder", delayMs: 2_500, times: 1 } });
    const order = newOrder();
    expect((await api.submit(order, `key-${order.orderId}`)).status).toBe(202);
    await waitFor(stack, "the sales order to exist in Zoho while the order is still PROCESSING", async () => {
      const exists = (await salesOrdersNumbered(stack, order.orderId)).length > 0;
      return exists && (await api.order(order.orderId)).body.status === "PROCESSING" ? true : undefined;
    });

    await stack.kill("fulfilment", "SIGKILL");
    await stack.start("fulfilment");

    const stored = await finalOrder(order.orderId);
    expect(stored.status).toBe("FULFILLED");
    const salesOrders = await salesOrdersNumbered(stack, order.orderId);
    expect(salesOrders).toHaveLength(1);
    expect(stored.zohoSalesOrderId).toBe(salesOrders[0]!.salesorder_id);
    const webhooks = await webhooksFor(order.orderId);
    // Let any redelivery that was going to happen, happen, then count ids.
    await new Promise((r) => setTimeout(r, 3_000));
    const all = (await inboxMessages(stack, order.orderId)).filter((m) => m.type === "ORDER_FULFILLED");
    expect(new Set(all.map((m) => m.webhookId))).toEqual(new Set([webhooks[0]!.webhookId]));
  });
});

describe("restarts", () => {
  it("a Zoho sandbox restarted on its kept state still fulfils new orders: its ids never repeat", async () => {
    const before = newOrder();
    expect((await api.submit(before, `key-${before.orderId}`)).status).toBe(202);
    const first = await finalOrder(before.orderId);
    expect(first.status).toBe("FULFILLED");

    await stack.restart("zoho-sandbox");

    const after = newOrder();
    expect((await api.submit(after, `key-${after.orderId}`)).status).toBe(202);
    const second = await finalOrder(after.orderId);
    expect(second).toMatchObject({ status: "FULFILLED" });
    expect(second.zohoSalesOrderId).not.toBe(first.zohoSalesOrderId);
    // The earlier order is still in the sandbox's organisation.
    expect((await salesOrdersNumbered(stack, before.orderId)).map((o) => o.salesorder_id)).toEqual([first.zohoSalesOrderId]);
  });
});

describe("observability", () => {
  it("one trace follows an order through every service, NATS hops included", async () => {
    const order = newOrder();
    await api.submit(order, `key-${order.orderId}`);
    await webhooksFor(order.orderId);
    // Every process an order passes through, the Zoho double and the webhook receiver included (they
    // are reached with fetch). The catalogue is not among them: fulfilment prices orders from offers it holds in memory.
    const expected = ["gateway", "fulfilment", "provisioning", "notification", "zoho-sandbox", "webhook-inbox"];
    // The NATS hops: each publish and the consume that continues it.
    const hops = [
      // Orders that arrive together go to fulfilment in one SubmitOrders call; each carries its own trace.
      ["gateway", "t2mobile.fulfilment.v1.FulfilmentService/SubmitOrders"],
      ["fulfilment", "SubmitOrders item"],
      ["fulfilment", "t2mobile.provisioning.v1.ProvisioningService/CreateSalesOrder"],
      ["fulfilment", "orders.submitted publish"],
      ["fulfilment", "orders.submitted process"],
      ["fulfilment", "orders.outcome.fulfilled publish"],
      ["notification", "orders.outcome.fulfilled process"],
    ] as const;
    let seen: string[] = [];
    const trace = await waitFor(stack, "the order's spans from every service", async () => {
      const submitted = collector.spans.find((s) => s.attributes["messaging.message.id"] === `orders.submitted:${order.orderId}`);
      if (!submitted) return undefined;
      const spans = collector.spans.filter((s) => s.traceId === submitted.traceId);
      seen = [...new Set(spans.map((s) => `${s.service}: ${s.name}`))];
      const complete =
        expected.every((name) => spans.some((s) => s.service === name)) &&
        hops.every(([service, name]) => spans.some((s) => s.service === service && s.name === name));
      return complete ? spans : undefined;
    }).catch((err: Error) => {
      const perService = new Map<string, number>();
      for (const s of collector.spans) perService.set(s.service, (perService.get(s.service) ?? 0) + 1);
      const publishes = collector.spans.filter((s) => s.attributes["messaging.message.id"] === `orders.submitted:${order.orderId}`);
      throw new Error(
        `${err.message.split("\n")[0]}; spans seen in the trace:\n  ${seen.join("\n  ")}\n` +
          `spans received per service: ${JSON.stringify(Object.fromEntries(perService))}; ` +
          `spans naming this order's OrderSubmitted: ${JSON.stringify(publishes)}`,
      );
    });
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const span = (service: string, name: string) => trace.find((s) => s.service === service && s.name === name)!;
    // The order's own span in fulfilment continues the gateway's request, and publishes the order's event.
    expect(byId.get(span("fulfilment", "orders.submitted publish").parentSpanId)?.name).toBe("SubmitOrders item");
    expect(byId.get(span("fulfilment", "SubmitOrders item").parentSpanId)?.service).toBe("gateway");
    // Each consumer span continues its publish span, through the NATS message headers.
    expect(byId.get(span("fulfilment", "orders.submitted process").parentSpanId)?.name).toBe("orders.submitted publish");
    expect(byId.get(span("notification", "orders.outcome.fulfilled process").parentSpanId)?.name).toBe("orders.outcome.fulfilled publish");
  });

  it("every service serves Prometheus metrics", async () => {
    for (const name of ["gateway", "catalogue", "fulfilment", "provisioning", "notification"] as const) {
      const text = await (await fetch(`${stack.urls[name]}/metrics`)).text();
      expect(text, name).toContain(`service="${name}"`);
    }
    const fulfilment = await (await fetch(`${stack.urls.fulfilment}/metrics`)).text();
    expect(fulfilment).toMatch(/t2m_orders_finished_total\{status="FULFILLED",product="ZOHO_CRM_STD",failure_code="",service="fulfilment"\} [1-9]/);
  });
});

describe("health and limits", () => {
  it("answers 429 with Retry-After past the rate limit", async () => {
    await stack.restart("gateway", { env: { RATE_LIMIT_PER_MINUTE: "3" } });
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await api.products();
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expectProblem(last!, 429, "RATE_LIMITED");
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
    await stack.restart("gateway");
  });

  it("health is 200 with NATS and MongoDB up, 503 when MongoDB is gone", async () => {
    const up = await api.health();
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ status: "ok", checks: { nats: "ok", mongodb: "ok" } });
    await stack.stopServer("ferretdb");
    const down = await waitFor(stack, "health to report MongoDB down", async () => {
      const res = await api.health();
      return res.status === 503 ? res : undefined;
    });
    expect(down.body.status).toBe("unavailable");
    expect(down.body.checks.nats).toBe("ok");
    expect(down.body.checks.mongodb).not.toBe("ok");
    // The gateway itself stays ready: it still answers, with problem details.
    expect((await fetch(`${stack.urls.gateway}/readyz`)).status).toBe(200);
    expectProblem(await api.order("T2M_ANY"), 503, "SERVICE_UNAVAILABLE");
  });
});
