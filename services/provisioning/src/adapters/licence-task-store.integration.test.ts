// The manual licence queue's store on a real MongoDB-wire server (FerretDB
// 1.24): one task per order however many ProvisionLicence calls race to
// record it, an operator's completion read back by the next call, listing
// by state oldest first across pages, and the waiting set for the gauges.
import { ensureFerretDbBinary, startFerretDb, type FerretDb } from "@t2m/devstack";
import { createLogger, Database } from "@t2m/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LicencePendingManual, LicenceTaskFailed, LicenceTaskQueue, ManualLicenceProvisioner } from "../domain/licence-tasks.js";
import { LICENCE_TASKS_COLLECTION, MongoLicenceTaskStore } from "./licence-task-store.js";

const logger = createLogger("licence-task-store-test", "silent");
let ferretDb: FerretDb;
let database: Database;
let store: MongoLicenceTaskStore;

beforeAll(async () => {
  await ensureFerretDbBinary();
  ferretDb = await startFerretDb();
  database = await Database.connect(ferretDb.databaseUrl(`licence_tasks_${Date.now().toString(36)}`), logger, "licence-task-store-test");
  store = await MongoLicenceTaskStore.open(database);
  // A second start finds its index in place.
  await MongoLicenceTaskStore.open(database);
}, 300_000);

afterAll(async () => {
  await database?.db.dropDatabase().catch(() => undefined);
  await database?.close();
  await ferretDb?.stop();
});

const customer = { customerId: "C1", name: "Ada Obi", email: "ada@example.com", phone: "08012345678" };
const request = (orderId: string) => ({ orderId, zohoSalesOrderId: `SO-${orderId}`, productId: "ZOHO_CRM_STD", tenure: "12_MONTHS", tenureMonths: 12, customer });

describe("MongoLicenceTaskStore", () => {
  it("records one task per order however many calls race, and answers the operator's reference afterwards", async () => {
    const provisioner = new ManualLicenceProvisioner(store);
    const answers = await Promise.all(Array.from({ length: 8 }, () => provisioner.provision(request("T2M-R1")).catch((err: unknown) => err)));
    expect(answers.every((a) => a instanceof LicencePendingManual)).toBe(true);
    expect(await database.collection(LICENCE_TASKS_COLLECTION).countDocuments({ _id: "T2M-R1" as never })).toBe(1);
    const waitingSince = new Set(answers.map((a) => (a as LicencePendingManual).waitingSince.getTime()));
    expect(waitingSince.size).toBe(1);

    const queue = new LicenceTaskQueue(store);
    await queue.complete("T2M-R1", "ZL-CRM-R1");
    expect(await provisioner.provision(request("T2M-R1"))).toEqual({ activationReference: "ZL-CRM-R1" });
    expect(await store.find("T2M-R1")).toMatchObject({ state: "COMPLETED", activationReference: "ZL-CRM-R1", customer, createdAt: expect.any(Date), completedAt: expect.any(Date) });
  });

  it("a finished task is never replaced: the conditional replace only takes a WAITING task", async () => {
    const provisioner = new ManualLicenceProvisioner(store);
    await provisioner.provision(request("T2M-F1")).catch(() => undefined);
    const queue = new LicenceTaskQueue(store);
    await queue.fail("T2M-F1", "no seat left");
    const failed = (await store.find("T2M-F1"))!;
    expect(await store.finish({ ...failed, state: "COMPLETED", activationReference: "ZL-LATE" })).toBe(false);
    await expect(provisioner.provision(request("T2M-F1"))).rejects.toBeInstanceOf(LicenceTaskFailed);
    expect(await queue.abandon("T2M-F1", "the order failed")).toBeUndefined();
  });

  it("lists a state oldest first across pages and reads the waiting set for the gauges", async () => {
    let now = new Date("2027-03-01T08:00:00Z");
    const provisioner = new ManualLicenceProvisioner(store, () => now);
    for (const id of ["T2M-L3", "T2M-L1", "T2M-L2"]) {
      await provisioner.provision(request(id)).catch(() => undefined);
      now = new Date(now.getTime() + 60_000);
    }
    const queue = new LicenceTaskQueue(store);
    const listed: string[] = [];
    let token = "";
    do {
      const page = await queue.list("WAITING", 2, token);
      listed.push(...page.tasks.map((t) => t.orderId));
      token = page.nextPageToken;
    } while (token !== "");
    expect(listed.filter((id) => id.startsWith("T2M-L"))).toEqual(["T2M-L3", "T2M-L1", "T2M-L2"]);
    const since = await store.waitingSince();
    expect(since.map((d) => d.toISOString())).toEqual(expect.arrayContaining(["2027-03-01T08:00:00.000Z", "2027-03-01T08:02:00.000Z"]));
    expect((await queue.list("FAILED", 10, "")).tasks.map((t) => t.orderId)).toEqual(["T2M-F1"]);
  });
});
