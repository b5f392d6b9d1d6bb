import { describe, expect, it } from "vitest";
import { MemoryLicenceTaskStore } from "../adapters/licence-task-store.js";
import {
  decodePageToken,
  encodePageToken,
  InvalidPageToken,
  LicencePendingManual,
  LicenceTaskConflict,
  LicenceTaskFailed,
  LicenceTaskNotFound,
  LicenceTaskQueue,
  ManualLicenceProvisioner,
  validateCompletion,
  validateFailure,
} from "./licence-tasks.js";

const customer = { customerId: "C1", name: "Ada Obi", email: "ada@example.com", phone: "08012345678" };
const request = (orderId: string) => ({ orderId, zohoSalesOrderId: `SO-${orderId}`, productId: "ZOHO_CRM_STD", tenure: "12_MONTHS", tenureMonths: 12, customer });

function setup() {
  const store = new MemoryLicenceTaskStore();
  let now = new Date("2027-01-01T10:00:00Z");
  const clock = () => now;
  const tick = (ms: number) => void (now = new Date(now.getTime() + ms));
  return { store, tick, provisioner: new ManualLicenceProvisioner(store, clock), queue: new LicenceTaskQueue(store, clock) };
}

describe("ManualLicenceProvisioner", () => {
  it("records one task per order and answers pending until an operator completes it, then the operator's reference", async () => {
    const t = setup();
    await expect(t.provisioner.provision(request("T2M1"))).rejects.toBeInstanceOf(LicencePendingManual);
    t.tick(60_000);
    const again = await t.provisioner.provision(request("T2M1")).catch((err: unknown) => err);
    expect(again).toBeInstanceOf(LicencePendingManual);
    // The task is recorded once: its waiting time runs from the first call.
    expect((again as LicencePendingManual).waitingSince).toEqual(new Date("2027-01-01T10:00:00Z"));
    expect(t.store.tasks.size).toBe(1);
    expect(t.store.tasks.get("T2M1")).toMatchObject({ kind: "PROVISION", state: "WAITING", customer, zohoSalesOrderId: "SO-T2M1" });

    await t.queue.complete("T2M1", "ZL-CRM-0001");
    expect(await t.provisioner.provision(request("T2M1"))).toEqual({ activationReference: "ZL-CRM-0001" });
  });

  it("answers the operator's reason once the task failed", async () => {
    const t = setup();
    await t.provisioner.provision(request("T2M1")).catch(() => undefined);
    await t.queue.fail("T2M1", "the customer's Zoho domain already holds a licence");
    const err = await t.provisioner.provision(request("T2M1")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LicenceTaskFailed);
    expect((err as LicenceTaskFailed).reason).toBe("the customer's Zoho domain already holds a licence");
  });

  it("records a renewal's extension as an EXTEND task without holding the renewal back", async () => {
    const t = setup();
    const extension = {
      activationReference: "ZL-CRM-0001",
      renewalOrderId: "T2M2",
      subscriptionId: "T2M1",
      productId: "ZOHO_CRM_STD",
      customerId: "C1",
      customerEmail: "ada@example.com",
      zohoSalesOrderId: "SO-T2M2",
      tenure: "12_MONTHS",
      tenureMonths: 12,
      periodStart: new Date("2027-12-01T00:00:00Z"),
      expiryDate: new Date("2028-12-01T00:00:00Z"),
    };
    await t.provisioner.extend(extension);
    await t.provisioner.extend(extension);
    expect([...t.store.tasks.values()]).toEqual([expect.objectContaining({ orderId: "T2M2", kind: "EXTEND", state: "WAITING", activationReference: "ZL-CRM-0001", subscriptionId: "T2M1" })]);
    // An extension is completed with the licence's own reference.
    await expect(t.queue.complete("T2M2", "ZL-OTHER")).rejects.toBeInstanceOf(LicenceTaskConflict);
    expect((await t.queue.complete("T2M2", "ZL-CRM-0001")).task.state).toBe("COMPLETED");
  });
});

describe("LicenceTaskQueue", () => {
  it("completes idempotently with the same reference and refuses another one", async () => {
    const t = setup();
    await t.provisioner.provision(request("T2M1")).catch(() => undefined);
    expect(await t.queue.complete("T2M1", "ZL-1")).toMatchObject({ already: false, task: { state: "COMPLETED", activationReference: "ZL-1" } });
    expect(await t.queue.complete("T2M1", "ZL-1")).toMatchObject({ already: true, task: { state: "COMPLETED", activationReference: "ZL-1" } });
    await expect(t.queue.complete("T2M1", "ZL-2")).rejects.toBeInstanceOf(LicenceTaskConflict);
    await expect(t.queue.fail("T2M1", "too late")).rejects.toBeInstanceOf(LicenceTaskConflict);
    expect(t.store.tasks.get("T2M1")?.activationReference).toBe("ZL-1");
  });

  it("fails idempotently with the same reason; a failed task cannot be completed", async () => {
    const t = setup();
    await t.provisioner.provision(request("T2M1")).catch(() => undefined);
    expect((await t.queue.fail("T2M1", "no seat left")).already).toBe(false);
    expect((await t.queue.fail("T2M1", "no seat left")).already).toBe(true);
    await expect(t.queue.fail("T2M1", "another reason")).rejects.toBeInstanceOf(LicenceTaskConflict);
    await expect(t.queue.complete("T2M1", "ZL-1")).rejects.toBeInstanceOf(LicenceTaskConflict);
    expect(t.store.tasks.get("T2M1")).toMatchObject({ state: "FAILED", failureReason: "no seat left" });
  });

  it("knows no task for an order that never asked", async () => {
    const t = setup();
    await expect(t.queue.complete("T2M9", "ZL-1")).rejects.toBeInstanceOf(LicenceTaskNotFound);
  });

  it("abandons a waiting task when its order gives up, and leaves a finished one alone", async () => {
    const t = setup();
    await t.provisioner.provision(request("T2M1")).catch(() => undefined);
    await t.provisioner.provision(request("T2M2")).catch(() => undefined);
    await t.queue.complete("T2M2", "ZL-2");
    expect(await t.queue.abandon("T2M1", "the order failed: PROVISIONING_FAILED")).toMatchObject({ state: "FAILED" });
    expect(await t.queue.abandon("T2M2", "the order failed")).toBeUndefined();
    expect(await t.queue.abandon("T2M3", "the order failed")).toBeUndefined();
    expect(t.store.tasks.get("T2M2")?.state).toBe("COMPLETED");
  });

  it("lists one state oldest first, a page at a time", async () => {
    const t = setup();
    for (const id of ["T2M3", "T2M1", "T2M2", "T2M4", "T2M5"]) {
      await t.provisioner.provision(request(id)).catch(() => undefined);
      t.tick(1_000);
    }
    await t.queue.complete("T2M4", "ZL-4");
    const first = await t.queue.list("WAITING", 2, "");
    expect(first.tasks.map((x) => x.orderId)).toEqual(["T2M3", "T2M1"]);
    const second = await t.queue.list("WAITING", 2, first.nextPageToken);
    expect(second.tasks.map((x) => x.orderId)).toEqual(["T2M2", "T2M5"]);
    expect(second.nextPageToken).toBe("");
    expect((await t.queue.list("COMPLETED", 10, "")).tasks.map((x) => x.orderId)).toEqual(["T2M4"]);
    // A token is for the state it was given for.
    await expect(t.queue.list("COMPLETED", 2, first.nextPageToken)).rejects.toBeInstanceOf(InvalidPageToken);
    await expect(t.queue.list("WAITING", 2, "not-a-token")).rejects.toBeInstanceOf(InvalidPageToken);
  });
});

describe("validation", () => {
  it("wants an order id and a printable reference of at most 100 characters", () => {
    expect(validateCompletion("T2M1", "ZL-CRM-0001")).toEqual([]);
    expect(validateCompletion("", "")).toEqual([
      { field: "order_id", description: "is required" },
      { field: "activation_reference", description: "is required" },
    ]);
    expect(validateCompletion("T2M1", "ZL 1")[0]?.field).toBe("activation_reference");
    expect(validateCompletion("T2M1", "Z".repeat(101))[0]?.field).toBe("activation_reference");
  });

  it("wants a reason of 1 to 500 characters without control characters", () => {
    expect(validateFailure("T2M1", "no seat left")).toEqual([]);
    expect(validateFailure("T2M1", "   ")).toEqual([{ field: "reason", description: "is required" }]);
    expect(validateFailure("T2M1", "x".repeat(501))[0]?.field).toBe("reason");
    expect(validateFailure("T2M1", "line\nbreak")[0]?.field).toBe("reason");
  });

  it("page tokens round-trip and name their state", () => {
    const last = { createdAt: new Date("2027-01-01T10:00:00Z"), orderId: "T2M1" };
    expect(decodePageToken(encodePageToken("WAITING", last), "WAITING")).toEqual(last);
    expect(decodePageToken(encodePageToken("WAITING", last), "FAILED")).toBeUndefined();
  });
});
