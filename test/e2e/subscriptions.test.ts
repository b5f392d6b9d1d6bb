// The subscription lifecycle end to end, on the whole platform as processes
// (real NATS, FerretDB, the webhook inbox): a 12-month order, its expiry
// reminders at 7, 3 and 1 days with the jobs run as their CronJobs run them
// (with an injected clock, twice, concurrently, and after a run that died
// half-way), a renewal from the old end date, expiry without a renewal,
// revocation, and a renewal order not finished when its subscription is due.
// Every webhook is verified with the standardwebhooks library.
import { startStack, type Stack } from "@t2m/devstack";
import { createLogger, createMetrics, Database, serviceClient } from "@t2m/platform";
import { MessageStatus, NotificationService } from "@t2m/proto/notification/v1/notification";
import { addMonths, expire, MongoReminderStore, MongoSubscriptionStore, reminderId, SANDBOX_LICENCE_EVENTS_COLLECTION } from "@t2m/provisioning";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inboxMessages, newOrder, runStackJob, sandbox, t2mobileClient, verifyWebhook, waitFor, type InboxMessage } from "./support.js";

const DAY = 86_400_000;
let stack: Stack;
let api: ReturnType<typeof t2mobileClient>;
let notification: ReturnType<typeof serviceClient<typeof NotificationService>>;
let database: Database;

beforeAll(async () => {
  stack = await startStack({
    ports: "random",
    logLevel: "info",
    env: {
      NATS_ACK_WAIT_MS: "2000",
      WEBHOOK_RETRY_DELAYS_MS: "300,600,900",
      WEBHOOK_RETRY_JITTER: "0",
      FULFILMENT_SWEEP_INTERVAL_MS: "500",
      FULFILMENT_RETRY_INITIAL_MS: "200",
      FULFILMENT_RETRY_MAX_MS: "1000",
      RATE_LIMIT_PER_MINUTE: "100000",
      ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: "0",
    },
  });
  api = t2mobileClient(stack);
  notification = serviceClient(NotificationService, { baseUrl: stack.urls.notification, metrics: createMetrics("e2e"), token: stack.rpcToken("operator") });
  database = await Database.connect(stack.mongodbUrl, createLogger("e2e", "silent"), "e2e");
}, 180_000);

afterAll(async () => {
  await database?.close();
  await stack?.stop();
});

const iso = (ms: number) => new Date(ms).toISOString();

/** Verified webhooks the inbox holds for an order (a subscription's are filed under its first order), by type. */
async function webhooks(orderId: string, type?: string): Promise<InboxMessage[]> {
  return (await inboxMessages(stack, orderId)).filter((m) => m.responseStatus < 300 && (!type || m.type === type));
}

/** Places a 12-month order and waits for its ORDER_FULFILLED webhook; returns it with its expiry. */
async function fulfilledSubscription(overrides: Record<string, unknown> = {}) {
  const order = newOrder(overrides);
  const res = await api.submit(order, `key-${order.orderId}`);
  expect(res.status).toBe(202);
  const [webhook] = await waitFor(stack, `ORDER_FULFILLED for ${order.orderId}`, async () => {
    const got = await webhooks(order.orderId, "ORDER_FULFILLED");
    return got.length > 0 ? got : undefined;
  });
  const data = (verifyWebhook(stack, webhook!) as { data: { activationReference: string; expiryDate: string } }).data;
  return { order, activationReference: data.activationReference, expiry: Date.parse(data.expiryDate) };
}

/** Waits until the inbox has a delivered webhook of this type for the order matching `where`. */
function webhookArrives(orderId: string, type: string, where: (data: any) => boolean = () => true) {
  return waitFor(stack, `${type} for ${orderId}`, async () => {
    const got = (await webhooks(orderId, type)).filter((m) => where(m.body.data));
    return got.length > 0 ? got : undefined;
  }, 45_000);
}

/** Every message notification registered for an order, of one type. */
async function registered(orderId: string, type: string) {
  return (await notification.listMessages({ orderId })).messages.filter((m) => m.eventType === type);
}

const runReminders = (now: number) => runStackJob(stack, "expiry-reminders", ["--now", iso(now)]);
const runRenewalCheck = (now: number) => runStackJob(stack, "renewal-check", ["--now", iso(now)]);

let first: Awaited<ReturnType<typeof fulfilledSubscription>>;

describe("a 12-month subscription", () => {
  it("is ACTIVE once its order is fulfilled, until a period end a year on, with its history", async () => {
    first = await fulfilledSubscription();
    const res = await api.call("GET", `/t2mobile/subscriptions/${first.activationReference}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      orderId: first.order.orderId,
      activationReference: first.activationReference,
      status: "ACTIVE",
      tenure: "12_MONTHS",
      expiryDate: iso(first.expiry),
      history: [{ version: 1, change: "ACTIVATED", status: "ACTIVE", orderId: first.order.orderId, periodEnd: iso(first.expiry) }],
    });
    expect(addMonths(new Date(res.body.startDate), 12).getTime()).toBe(first.expiry);
    // The same by its order id, and in the customer's list.
    expect((await api.call("GET", `/t2mobile/subscriptions/${first.order.orderId}`)).body.activationReference).toBe(first.activationReference);
    const list = await api.call("GET", `/t2mobile/customers/${first.order.customerId}/subscriptions`);
    expect(list.body.subscriptions.map((s: { orderId: string }) => s.orderId)).toEqual([first.order.orderId]);
    expect((await api.call("GET", "/t2mobile/subscriptions/ZL-NOPE")).body).toMatchObject({ status: 404, code: "SUBSCRIPTION_NOT_FOUND" });
  });

  it("gets no reminder 8 days before its end, and one each at 7, 3 and 1 days, however the job is run", async () => {
    const id = first.order.orderId;
    const before = await runReminders(first.expiry - 8 * DAY);
    expect(before.counts.sent ?? 0).toBe(0);
    expect(await database.collection("subscription_reminders").countDocuments({ subscriptionId: id })).toBe(0);

    // 7 days: the job twice in a row, then twice at once.
    await runReminders(first.expiry - 7 * DAY);
    await runReminders(first.expiry - 7 * DAY);
    await Promise.all([runReminders(first.expiry - 7 * DAY + 60_000), runReminders(first.expiry - 7 * DAY + 60_000)]);
    await webhookArrives(id, "EXPIRY_REMINDER", (d) => d.thresholdDays === 7);

    // 3 days: a run died after claiming the reminder and before publishing it; the rerun sends it.
    const store = new MongoSubscriptionStore(database);
    const subscription = (await store.findProjection(id))!;
    await new MongoReminderStore(database).claim({
      id: reminderId(id, subscription.expiryDay, 3),
      subscriptionId: id,
      expiryDay: subscription.expiryDay,
      thresholdDays: 3,
      daysUntilExpiry: 3,
      version: subscription.version,
      activationReference: subscription.activationReference,
      productId: subscription.productId,
      tenure: subscription.tenure,
      customerId: subscription.customerId,
      customerEmail: subscription.customerEmail,
      expiryDate: subscription.expiryDate,
      amount: { currencyCode: "NGN", amountMinor: 21_600_000 },
      remindedAt: new Date(first.expiry - 3 * DAY),
      createdAt: new Date(),
    });
    const rerun = await runReminders(first.expiry - 3 * DAY);
    expect(rerun.counts.resumed).toBe(1);
    await Promise.all([runReminders(first.expiry - 3 * DAY), runReminders(first.expiry - 3 * DAY)]);
    await webhookArrives(id, "EXPIRY_REMINDER", (d) => d.thresholdDays === 3);

    // 1 day: once, then again.
    await runReminders(first.expiry - 1 * DAY);
    await runReminders(first.expiry - 1 * DAY);
    await webhookArrives(id, "EXPIRY_REMINDER", (d) => d.thresholdDays === 1);

    // One message per threshold was ever registered, each delivered under one webhook id.
    const messages = await registered(id, "EXPIRY_REMINDER");
    expect(messages).toHaveLength(3);
    expect(messages.every((m) => m.status === MessageStatus.DELIVERED)).toBe(true);
    const received = await webhooks(id, "EXPIRY_REMINDER");
    expect(new Set(received.map((m) => m.webhookId)).size).toBe(3);
    expect(received.map((m) => m.body.data.thresholdDays).sort()).toEqual([1, 3, 7]);
    expect(await database.collection("subscription_reminders").countDocuments({ subscriptionId: id })).toBe(3);
    for (const m of received) {
      const body = verifyWebhook(stack, m) as { type: string; data: Record<string, unknown> };
      expect(body.type).toBe("EXPIRY_REMINDER");
      expect(body.data).toMatchObject({
        orderId: id,
        activationReference: first.activationReference,
        daysUntilExpiry: body.data.thresholdDays,
        expiryDate: iso(first.expiry),
        customerEmail: first.order.customerEmail,
        customerId: first.order.customerId,
        productId: "ZOHO_CRM_STD",
        tenure: "12_MONTHS",
        // The renewal price of 12 months of Zoho CRM Standard, in NGN.
        amount: "216000.00",
        currency: "NGN",
        status: "ACTIVE",
      });
    }
  }, 180_000);

  it("is renewed by an order naming it: from the old end date, at the renewal price, with SUBSCRIPTION_RENEWED", async () => {
    const id = first.order.orderId;
    const renewal = newOrder({ customerId: first.order.customerId, customerEmail: first.order.customerEmail, renews: first.activationReference });
    const res = await api.submit(renewal, `key-${renewal.orderId}`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ orderId: renewal.orderId, renews: id, price: { currency: "NGN", amount: "216000.00" } });
    const [webhook] = await webhookArrives(id, "SUBSCRIPTION_RENEWED", (d) => d.renewalOrderId === renewal.orderId);
    const newExpiry = addMonths(new Date(first.expiry), 12).getTime();
    expect((verifyWebhook(stack, webhook!) as { data: unknown }).data).toMatchObject({
      orderId: id,
      renewalOrderId: renewal.orderId,
      activationReference: first.activationReference,
      status: "ACTIVE",
      previousExpiryDate: iso(first.expiry),
      periodStart: iso(first.expiry),
      expiryDate: iso(newExpiry),
    });
    const order = await waitFor(stack, "the renewal order to be FULFILLED", async () => {
      const o = await api.order(renewal.orderId);
      return o.body.status === "FULFILLED" ? o.body : undefined;
    });
    expect(order).toMatchObject({ renews: id, activationReference: first.activationReference, expiryDate: iso(newExpiry) });
    const subscription = (await api.call("GET", `/t2mobile/subscriptions/${id}`)).body;
    expect(subscription).toMatchObject({ status: "ACTIVE", renewals: 1, expiryDate: iso(newExpiry), startDate: iso(first.expiry) });
    expect(subscription.history.map((c: { change: string; orderId: string }) => [c.change, c.orderId])).toEqual([
      ["ACTIVATED", id],
      ["RENEWED", renewal.orderId],
    ]);
    // A Zoho sales order of its own, at the renewal price; the sandbox provisioner extended the licence.
    const salesOrders = ((await sandbox(stack, "/state")).salesOrders as Array<{ salesorder_number: string; total: number }>).filter((o) => o.salesorder_number === renewal.orderId);
    expect(salesOrders.map((o) => o.total)).toEqual([216000]);
    expect(await database.collection(SANDBOX_LICENCE_EVENTS_COLLECTION).findOne({ kind: "extended", renewalOrderId: renewal.orderId })).toMatchObject({ activationReference: first.activationReference, expiryDate: new Date(newExpiry) });
    // One SUBSCRIPTION_RENEWED, and no ORDER_FULFILLED for the renewal order: the renewal is its webhook.
    expect(await registered(id, "SUBSCRIPTION_RENEWED")).toHaveLength(1);
    expect(await webhooks(renewal.orderId, "ORDER_FULFILLED")).toEqual([]);
  });

  it("refuses a renewal of an unknown subscription, or of another customer's, as 422 problems", async () => {
    const unknown = newOrder({ renews: "ZL-NOPE-0000" });
    const res = await api.submit(unknown, `key-${unknown.orderId}`);
    expect(res.status).toBe(422);
    expect(res.contentType).toContain("application/problem+json");
    expect(res.body).toMatchObject({ code: "RENEWED_SUBSCRIPTION_NOT_FOUND" });
    const someoneElse = newOrder({ renews: first.order.orderId });
    expect((await api.submit(someoneElse, `key-${someoneElse.orderId}`)).body).toMatchObject({ status: 422, code: "RENEWAL_MISMATCH" });
  });
});

describe("revocation", () => {
  it("makes the subscription REVOKED with one SUBSCRIPTION_REVOKED, idempotently, tells the provisioner, and a later renewal is refused", async () => {
    const s = await fulfilledSubscription();
    const revoke = () => api.call("POST", `/t2mobile/subscriptions/${s.activationReference}/revoke`, { body: { reason: "chargeback on the first payment" } });
    const firstCall = await revoke();
    expect(firstCall.status).toBe(200);
    expect(firstCall.body).toMatchObject({ status: "REVOKED", revocationReason: "chargeback on the first payment", alreadyRevoked: false });
    const secondCall = await revoke();
    expect(secondCall.status).toBe(200);
    expect(secondCall.body).toMatchObject({ status: "REVOKED", alreadyRevoked: true, revokedAt: firstCall.body.revokedAt });
    const [webhook] = await webhookArrives(s.order.orderId, "SUBSCRIPTION_REVOKED");
    expect((verifyWebhook(stack, webhook!) as { data: unknown }).data).toMatchObject({
      orderId: s.order.orderId,
      activationReference: s.activationReference,
      status: "REVOKED",
      reason: "chargeback on the first payment",
      expiryDate: iso(s.expiry),
    });
    expect(await registered(s.order.orderId, "SUBSCRIPTION_REVOKED")).toHaveLength(1);
    expect(await database.collection(SANDBOX_LICENCE_EVENTS_COLLECTION).countDocuments({ kind: "revoked", activationReference: s.activationReference })).toBe(1);

    const renewal = newOrder({ customerId: s.order.customerId, renews: s.activationReference });
    const refused = await api.submit(renewal, `key-${renewal.orderId}`);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: "SUBSCRIPTION_REVOKED" });
    expect((await api.order(renewal.orderId)).status).toBe(404);
    // The reminders job leaves it alone.
    await runReminders(s.expiry - 7 * DAY);
    expect(await registered(s.order.orderId, "EXPIRY_REMINDER")).toEqual([]);
  });
});

describe("expiry", () => {
  it("without a renewal, at its end + 1 day, is EXPIRED with one SUBSCRIPTION_EXPIRED; a renewal order not finished holds it", async () => {
    const lapsing = await fulfilledSubscription();
    // A run died after claiming this one's expiry and before publishing it.
    const crashed = await fulfilledSubscription();
    const store = new MongoSubscriptionStore(database);
    expect(await store.claim(expire((await store.findProjection(crashed.order.orderId))!, new Date(crashed.expiry + 60_000)))).toBe(true);
    // And this one's renewal order is stuck at Zoho (answered 503 for as long as the fault lasts).
    const held = await fulfilledSubscription();
    const renewal = newOrder({ customerId: held.order.customerId, renews: held.order.orderId });
    await sandbox(stack, "/faults", { method: "POST", body: { operation: "createSalesOrder", status: 503, code: 1, message: "maintenance", times: -1, match: renewal.orderId } });
    expect((await api.submit(renewal, `key-${renewal.orderId}`)).status).toBe(202);
    await waitFor(stack, "the renewal order to be at work", async () => ((await api.order(renewal.orderId)).body.status === "PROCESSING" ? true : undefined));

    const at = Math.max(lapsing.expiry, crashed.expiry, held.expiry) + 1 * DAY;
    const run = await runRenewalCheck(at);
    expect(run.counts.renewalPending).toBe(1);
    // Run again, and twice at once: nothing more happens.
    await runRenewalCheck(at);
    await Promise.all([runRenewalCheck(at + 60_000), runRenewalCheck(at + 60_000)]);

    for (const s of [lapsing, crashed]) {
      const [webhook] = await webhookArrives(s.order.orderId, "SUBSCRIPTION_EXPIRED");
      expect((verifyWebhook(stack, webhook!) as { data: unknown }).data).toMatchObject({ orderId: s.order.orderId, status: "EXPIRED", expiryDate: iso(s.expiry) });
      const read = (await api.call("GET", `/t2mobile/subscriptions/${s.activationReference}`)).body;
      expect(read).toMatchObject({ status: "EXPIRED", expiryDate: iso(s.expiry) });
      expect(read.history.map((c: { change: string }) => c.change)).toEqual(["ACTIVATED", "EXPIRED"]);
      expect(await registered(s.order.orderId, "SUBSCRIPTION_EXPIRED")).toHaveLength(1);
    }
    // Renewed (first) and revoked subscriptions were not touched; the held one waits for its renewal.
    expect((await api.call("GET", `/t2mobile/subscriptions/${first.order.orderId}`)).body.status).toBe("ACTIVE");
    expect((await api.call("GET", `/t2mobile/subscriptions/${held.order.orderId}`)).body.status).toBe("ACTIVE");
    expect(await registered(held.order.orderId, "SUBSCRIPTION_EXPIRED")).toEqual([]);

    // Zoho recovers: the renewal goes through and extends from the old end.
    await sandbox(stack, "/faults", { method: "DELETE" });
    const [renewed] = await webhookArrives(held.order.orderId, "SUBSCRIPTION_RENEWED");
    expect((verifyWebhook(stack, renewed!) as { data: unknown }).data).toMatchObject({ periodStart: iso(held.expiry), expiryDate: iso(addMonths(new Date(held.expiry), 12).getTime()) });
  }, 180_000);
});

describe("every webhook of this suite", () => {
  it("verifies with standardwebhooks", async () => {
    const all = ((await (await fetch(`${stack.urls["webhook-inbox"]}/__inbox/messages`)).json()) as { messages: InboxMessage[] }).messages.filter((m) => m.responseStatus < 300);
    expect(new Set(all.map((m) => m.type))).toEqual(new Set(["ORDER_FULFILLED", "EXPIRY_REMINDER", "SUBSCRIPTION_RENEWED", "SUBSCRIPTION_REVOKED", "SUBSCRIPTION_EXPIRED"]));
    for (const message of all) expect(() => verifyWebhook(stack, message), `${message.type} ${message.webhookId}`).not.toThrow();
  });
});
