// Provisioning's stores on a real MongoDB-wire server (FerretDB 1.24): one
// sales order per order and one order per Zoho sales order (the clash is an
// integrity error), confirmation and disposition, records from before
// confirming was a step, and the remembered Zoho contacts.
import { ensureFerretDbBinary, startFerretDb, type FerretDb } from "@t2m/devstack";
import { createLogger, Database } from "@t2m/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isConfirmed } from "../domain/provisioning.js";
import { IntegrityError } from "../domain/sales-orders.js";
import { openStores, SALES_ORDERS_COLLECTION } from "./stores.js";

let ferretDb: FerretDb;
let database: Database;
let stores: Awaited<ReturnType<typeof openStores>>;

beforeAll(async () => {
  await ensureFerretDbBinary();
  ferretDb = await startFerretDb();
  database = await Database.connect(ferretDb.databaseUrl("provisioning_test"), createLogger("provisioning-test", "silent"), "provisioning-test");
  stores = await openStores(database);
  // A second start finds its indexes in place.
  await openStores(database);
}, 300_000);

afterAll(async () => {
  await database?.close();
  await ferretDb?.stop();
});

const at = new Date("2026-03-01T10:00:00Z");
const record = (orderId: string, zohoSalesOrderId: string) => ({
  orderId,
  zohoSalesOrderId,
  zohoSalesOrderNumber: orderId,
  zohoCustomerId: "CU-1",
  createdAt: at,
  status: "created" as const,
});

describe("MongoSalesOrderStore", () => {
  it("stores one record per order; a repeat with the same Zoho order gets the stored one", async () => {
    expect(await stores.salesOrders.insertOrGet(record("S-1", "SO-1"))).toEqual(record("S-1", "SO-1"));
    expect(await stores.salesOrders.insertOrGet({ ...record("S-1", "SO-1"), createdAt: new Date() })).toEqual(record("S-1", "SO-1"));
    expect(await stores.salesOrders.find("S-1")).toEqual(record("S-1", "SO-1"));
    expect(await stores.salesOrders.find("S-404")).toBeUndefined();
  });

  it("refuses a Zoho sales order another order already holds, naming that order: an integrity error", async () => {
    await stores.salesOrders.insertOrGet(record("S-2", "SO-2"));
    const error = await stores.salesOrders.insertOrGet(record("S-3", "SO-2")).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error).toMatchObject({ orderId: "S-3", zohoSalesOrderId: "SO-2", otherOrderId: "S-2" });
    expect(await stores.salesOrders.find("S-3")).toBeUndefined();
  });

  it("refuses a second Zoho sales order for an order that has one", async () => {
    await stores.salesOrders.insertOrGet(record("S-4", "SO-4"));
    await expect(stores.salesOrders.insertOrGet(record("S-4", "SO-44"))).rejects.toBeInstanceOf(IntegrityError);
  });

  it("marks a record confirmed, then records what became of it", async () => {
    await stores.salesOrders.insertOrGet(record("S-5", "SO-5"));
    await stores.salesOrders.markConfirmed("S-5", at);
    expect(await stores.salesOrders.find("S-5")).toMatchObject({ status: "confirmed", confirmedAt: at });
    await stores.salesOrders.recordDisposition("S-5", { kind: "FLAGGED", reason: "LICENCE_FAILED", at, detail: "Zoho said no" });
    expect(await stores.salesOrders.find("S-5")).toMatchObject({
      status: "confirmed",
      disposition: { kind: "FLAGGED", reason: "LICENCE_FAILED", at, detail: "Zoho said no" },
    });
  });

  it("reads a record stored before confirming was a step of its own as confirmed", async () => {
    await database.collection(SALES_ORDERS_COLLECTION).insertOne({
      _id: "S-OLD" as never,
      orderId: "S-OLD",
      zohoSalesOrderId: "SO-OLD",
      zohoSalesOrderNumber: "S-OLD",
      zohoCustomerId: "CU-1",
      createdAt: at,
    });
    const old = await stores.salesOrders.find("S-OLD");
    expect(old && isConfirmed(old)).toBe(true);
  });
});

describe("MongoContactStore", () => {
  it("remembers the first contact stored for a customer, and forgets it only if it is still that one", async () => {
    const first = { customerKey: "T2M_USER_1", zohoContactId: "C-1", email: "ada@example.ng", createdAt: at };
    expect(await stores.contacts.insertOrGet(first)).toEqual(first);
    expect(await stores.contacts.insertOrGet({ ...first, zohoContactId: "C-2" })).toEqual(first);
    await stores.contacts.forget("T2M_USER_1", "C-2");
    expect(await stores.contacts.find("T2M_USER_1")).toEqual(first);
    await stores.contacts.forget("T2M_USER_1", "C-1");
    expect(await stores.contacts.find("T2M_USER_1")).toBeUndefined();
  });
});
