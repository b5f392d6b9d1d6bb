// The manual licence queue end to end (LICENCE_PROVISIONER=manual), on the
// whole platform as processes: an order waits in PROCESSING with a WAITING
// task an operator lists over LicenceTaskService; completing the task
// fulfils the order with the operator's activation reference and a signed
// ORDER_FULFILLED; failing another order's task ends it FAILED with the
// operator's reason in its ORDER_FAILED. Bad or contradicting operator calls
// change nothing.
import { Code, ConnectError } from "@connectrpc/connect";
import { startStack, type Stack } from "@t2m/devstack";
import { createLogger, createMetrics, Database, fieldViolationsOf, reasonOf, serviceClient } from "@t2m/platform";
import { LicenceTaskKind, LicenceTaskService, LicenceTaskState } from "@t2m/proto/provisioning/v1/licence_tasks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inboxMessages, newOrder, runT2m, t2mobileClient, verifyWebhook, waitFor } from "./support.js";

let stack: Stack;
let api: ReturnType<typeof t2mobileClient>;
let tasks: ReturnType<typeof serviceClient<typeof LicenceTaskService>>;
let database: Database;

beforeAll(async () => {
  stack = await startStack({
    ports: "random",
    logLevel: "info",
    env: {
      LICENCE_PROVISIONER: "manual",
      MANUAL_LICENCE_POLL_SECONDS: "0.3",
      NATS_ACK_WAIT_MS: "2000",
      FULFILMENT_SWEEP_INTERVAL_MS: "500",
      RATE_LIMIT_PER_MINUTE: "100000",
      ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: "0",
    },
  });
  api = t2mobileClient(stack);
  tasks = serviceClient(LicenceTaskService, { baseUrl: stack.urls.provisioning, metrics: createMetrics("e2e"), token: stack.rpcToken("operator") });
  database = await Database.connect(stack.mongodbUrl, createLogger("e2e", "silent"), "e2e");
}, 180_000);

afterAll(async () => {
  await database?.close();
  await stack?.stop();
});

/** Places an order and waits until its licence task is listed WAITING. */
async function waitingOrder() {
  const order = newOrder();
  expect((await api.submit(order, `key-${order.orderId}`)).status).toBe(202);
  const task = await waitFor(stack, `a WAITING licence task for ${order.orderId}`, async () => {
    const { tasks: waiting } = await tasks.listLicenceTasks({ state: LicenceTaskState.WAITING, pageSize: 500 });
    return waiting.find((t) => t.orderId === order.orderId);
  });
  return { order, task };
}

/** The verified webhooks the inbox holds for an order. */
async function webhooksFor(orderId: string) {
  return waitFor(stack, `a webhook for ${orderId}`, async () => {
    const messages = (await inboxMessages(stack, orderId)).filter((m) => m.verified);
    return messages.length > 0 ? messages : undefined;
  }, 45_000);
}

const rpcError = (promise: Promise<unknown>) => promise.then(() => undefined, (err: unknown) => ConnectError.from(err));

describe("LICENCE_PROVISIONER=manual", () => {
  it("holds an order in PROCESSING until an operator completes its task, then fulfils it with the operator's reference", async () => {
    const { order, task } = await waitingOrder();
    expect(task).toMatchObject({
      kind: LicenceTaskKind.PROVISION,
      state: LicenceTaskState.WAITING,
      productId: "ZOHO_CRM_STD",
      tenure: "12_MONTHS",
      customer: { customerId: order.customerId, email: order.customerEmail },
      zohoSalesOrderId: expect.stringMatching(/\d+/),
    });

    // It keeps asking without failing: several polls later it is still PROCESSING, its attempts are polls.
    const waiting = await waitFor(stack, `${order.orderId} to have polled the queue twice`, async () => {
      const stored = await database.collection<{ _id: string; waitingFor?: string; manualPolls?: number; status: string }>("orders").findOne({ _id: order.orderId });
      return stored && (stored.manualPolls ?? 0) >= 2 ? stored : undefined;
    });
    expect(waiting).toMatchObject({ status: "PROCESSING", waitingFor: "manual" });
    expect((await api.order(order.orderId)).body).toMatchObject({ status: "PROCESSING" });
    expect(await inboxMessages(stack, order.orderId)).toEqual([]);

    const reference = `ZL-CRMSTD-MANUAL-${order.orderId}`;
    const completed = await tasks.completeLicenceTask({ orderId: order.orderId, activationReference: reference });
    expect(completed).toMatchObject({ alreadyCompleted: false, task: { state: LicenceTaskState.COMPLETED, activationReference: reference } });
    // Completing again with the same reference is a no-op; another reference or a failure is refused.
    expect((await tasks.completeLicenceTask({ orderId: order.orderId, activationReference: reference })).alreadyCompleted).toBe(true);
    const other = await rpcError(tasks.completeLicenceTask({ orderId: order.orderId, activationReference: "ZL-SOMETHING-ELSE" }));
    expect(other?.code).toBe(Code.FailedPrecondition);
    expect((await rpcError(tasks.failLicenceTask({ orderId: order.orderId, reason: "too late" })))?.code).toBe(Code.FailedPrecondition);

    const [webhook] = await webhooksFor(order.orderId);
    const verified = verifyWebhook(stack, webhook!) as any;
    expect(verified).toMatchObject({ type: "ORDER_FULFILLED", data: { orderId: order.orderId, status: "FULFILLED", activationReference: reference } });
    expect((await api.order(order.orderId)).body).toMatchObject({ status: "FULFILLED", activationReference: reference });
    expect((await api.call("GET", `/t2mobile/subscriptions/${reference}`)).body).toMatchObject({ orderId: order.orderId, status: "ACTIVE" });
    // Listed as COMPLETED, no longer WAITING.
    expect((await tasks.listLicenceTasks({ state: LicenceTaskState.COMPLETED, pageSize: 500 })).tasks.map((t) => t.orderId)).toContain(order.orderId);
    expect((await tasks.listLicenceTasks({ state: LicenceTaskState.WAITING, pageSize: 500 })).tasks.map((t) => t.orderId)).not.toContain(order.orderId);
  });

  it("fails an order whose task an operator failed, with the operator's reason in its webhook", async () => {
    const { order } = await waitingOrder();
    const reason = "the customer's Zoho organisation already holds a CRM licence";
    expect(await tasks.failLicenceTask({ orderId: order.orderId, reason })).toMatchObject({ alreadyFailed: false, task: { state: LicenceTaskState.FAILED, failureReason: reason } });

    const [webhook] = await webhooksFor(order.orderId);
    const verified = verifyWebhook(stack, webhook!) as any;
    expect(verified).toMatchObject({ type: "ORDER_FAILED", data: { orderId: order.orderId, status: "FAILED", failureCode: "PROVISIONING_FAILED", activationReference: null } });
    expect(verified.data.failureReason).toBe(`The licence could not be provisioned: ${reason}`);
    expect((await api.order(order.orderId)).body).toMatchObject({ status: "FAILED", failureCode: "PROVISIONING_FAILED", failureReason: verified.data.failureReason });
    // Its Zoho sales order was voided, as for any failed order.
    const salesOrder = await database.collection<{ _id: string; disposition?: { kind: string } }>("sales_orders").findOne({ _id: order.orderId });
    expect(salesOrder?.disposition?.kind).toBe("VOIDED");
  });

  it("is worked with t2m: provisioning queue lists the waiting order, complete fulfils it, and a usage error changes nothing", async () => {
    const { order } = await waitingOrder();
    const table = await runT2m(stack, ["provisioning", "queue"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ORDER\s+KIND\s+STATE/m);
    expect(table.stdout).toMatch(new RegExp(`^${order.orderId}\\s+PROVISION\\s+WAITING\\s+ZOHO_CRM_STD`, "m"));
    const listed = await runT2m(stack, ["provisioning", "queue", "--json", "--limit", "500"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { tasks: Array<{ orderId: string; state: string }> }).tasks).toContainEqual(expect.objectContaining({ orderId: order.orderId, state: "LICENCE_TASK_STATE_WAITING" }));

    // Without --reference it is a usage error (exit 2) and the task still waits.
    const usage = await runT2m(stack, ["provisioning", "complete", order.orderId]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--reference/);
    expect((await tasks.listLicenceTasks({ state: LicenceTaskState.WAITING, pageSize: 500 })).tasks.map((t) => t.orderId)).toContain(order.orderId);

    const reference = `ZL-CLI-${order.orderId}`;
    const completed = await runT2m(stack, ["provisioning", "complete", order.orderId, "--reference", reference]);
    expect(completed.code, completed.stderr).toBe(0);
    expect(completed.stdout).toMatch(/^state:\s+COMPLETED$/m);
    await waitFor(stack, `${order.orderId} fulfilled`, async () => ((await api.order(order.orderId)).body?.status === "FULFILLED" ? true : undefined), 45_000);
    expect((await api.order(order.orderId)).body).toMatchObject({ activationReference: reference });
    // A different reference for a completed task: the RPC's FAILED_PRECONDITION, exit 1.
    const conflict = await runT2m(stack, ["provisioning", "complete", order.orderId, "--reference", "ZL-OTHER"]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/FAILED_PRECONDITION/);
  });

  it("refuses a bad completion with the fields named, and changes nothing", async () => {
    const { order } = await waitingOrder();
    const before = await database.collection("licence_tasks").findOne({ _id: order.orderId as never });

    const invalid = await rpcError(tasks.completeLicenceTask({ orderId: order.orderId, activationReference: "has spaces in it" }));
    expect(invalid?.code).toBe(Code.InvalidArgument);
    expect(fieldViolationsOf(invalid!)).toEqual([{ field: "activation_reference", description: "must be printable ASCII without spaces" }]);
    const empty = await rpcError(tasks.completeLicenceTask({ orderId: "", activationReference: "" }));
    expect(fieldViolationsOf(empty!).map((v) => v.field)).toEqual(["order_id", "activation_reference"]);
    const unknown = await rpcError(tasks.completeLicenceTask({ orderId: "T2M-NO-SUCH-ORDER", activationReference: "ZL-1" }));
    expect(unknown?.code).toBe(Code.NotFound);
    expect(reasonOf(unknown!)).toBe("LICENCE_TASK_NOT_FOUND");
    expect((await rpcError(tasks.failLicenceTask({ orderId: order.orderId, reason: " " })))?.code).toBe(Code.InvalidArgument);
    expect((await rpcError(tasks.listLicenceTasks({ state: LicenceTaskState.UNSPECIFIED })))?.code).toBe(Code.InvalidArgument);

    expect(await database.collection("licence_tasks").findOne({ _id: order.orderId as never })).toEqual(before);
    expect(await database.collection("licence_tasks").countDocuments({ _id: "T2M-NO-SUCH-ORDER" as never })).toBe(0);
    expect((await api.order(order.orderId)).body.status).toBe("PROCESSING");
    // Only operators may call it.
    const asGateway = serviceClient(LicenceTaskService, { baseUrl: stack.urls.provisioning, metrics: createMetrics("e2e-gateway"), token: stack.rpcToken("gateway") });
    expect((await rpcError(asGateway.completeLicenceTask({ orderId: order.orderId, activationReference: "ZL-1" })))?.code).toBe(Code.PermissionDenied);
    expect((await database.collection<{ state: string }>("licence_tasks").findOne({ _id: order.orderId as never }))?.state).toBe("WAITING");
  });
});
