import { SandboxDefaults } from "@t2m/topology";
import { describe, expect, it } from "vitest";
import { MemoryLicenceLog, SandboxLicenceProvisioner } from "../adapters/sandbox-licence-provisioner.js";
import { MemoryPendingRenewals, MemorySubscriptionStore } from "./stores.fixtures.js";
import { activate, renew as renewChange, type SubscriptionChange } from "./subscription.js";
import { RenewalMismatch, SubscriptionNotFound, Subscriptions } from "./subscriptions.js";

const customer = { customerId: "C1", name: "Ada Obi", email: "ada@example.com", phone: "08012345678" };
const licence = { orderId: "T2M1", zohoSalesOrderId: "SO-1", productId: "ZOHO_CRM_STD", tenure: "12_MONTHS", tenureMonths: 12, customer };
const at = (iso: string) => new Date(iso);
const start = at("2026-12-01T10:00:00Z");
const renewal = (id: string) => ({ renewalOrderId: id, zohoSalesOrderId: `SO-${id}`, tenure: "12_MONTHS", tenureMonths: 12 });

function setup(realNow = at("2027-01-01T00:00:00Z")) {
  const store = new MemorySubscriptionStore();
  const pending = new MemoryPendingRenewals();
  const log = new MemoryLicenceLog();
  const provisioner = new SandboxLicenceProvisioner(SandboxDefaults.sandboxLicenceKey, log);
  let provisions = 0;
  const announced: SubscriptionChange[] = [];
  const clock = { now: realNow };
  const subscriptions = new Subscriptions({
    store,
    pending,
    provisioner: {
      provision: (r) => ((provisions += 1), provisioner.provision(r)),
      extend: (e) => provisioner.extend(e),
      revoke: (r) => provisioner.revoke(r),
    },
    announcer: { announce: async (c) => void announced.push(c) },
    realClock: () => clock.now,
  });
  return { store, pending, log, subscriptions, announced, clock, provisions: () => provisions };
}

describe("Subscriptions", () => {
  it("activates once per order: a repeat answers the same subscription", async () => {
    const t = setup();
    const first = await t.subscriptions.activate(licence, start);
    const again = await t.subscriptions.activate(licence, at("2026-12-01T10:05:00Z"));
    expect(first.replayed).toBe(false);
    expect(again).toEqual({ subscription: first.subscription, replayed: true });
    expect(t.provisions()).toBe(1);
    expect(first.subscription).toMatchObject({ status: "ACTIVE", version: 1, expiryDay: "2027-12-01" });
    // The first order's ORDER_FULFILLED tells T2Mobile; activation publishes nothing of its own.
    expect(t.announced).toEqual([]);
  });

  it("renews from the current end, tells the provisioner and announces it once; a repeat returns the recorded period", async () => {
    const t = setup();
    const { subscription } = await t.subscriptions.activate(licence, start);
    await t.subscriptions.prepareRenewal({ renewalOrderId: "T2M2", reference: subscription.activationReference, productId: "ZOHO_CRM_STD", customerId: "C1" }, at("2027-11-20T00:00:00Z"));
    expect(t.pending.entries.size).toBe(1);
    const renewed = await t.subscriptions.renew("T2M1", renewal("T2M2"), at("2027-11-20T00:00:00Z"));
    expect(renewed).toMatchObject({ version: 2, startDate: subscription.expiryDate, expiryDay: "2028-12-01", renewals: 1, zohoSalesOrderId: "SO-T2M2" });
    expect(await t.subscriptions.renew("T2M1", renewal("T2M2"), at("2027-11-21T00:00:00Z"))).toEqual(renewed);
    expect(t.announced.map((c) => [c.kind, c.version])).toEqual([["RENEWED", 2]]);
    expect([...t.log.events.values()]).toMatchObject([{ kind: "extended", renewalOrderId: "T2M2", expiryDate: renewed.expiryDate }]);
    expect(t.pending.entries.size).toBe(0);
    const { history } = await t.subscriptions.lookup("T2M1");
    expect(history.map((c) => [c.version, c.kind, c.orderId])).toEqual([[1, "ACTIVATED", "T2M1"], [2, "RENEWED", "T2M2"]]);
  });

  it("finishes a renewal whose writer stopped after claiming it, without a second period", async () => {
    const t = setup();
    const { subscription } = await t.subscriptions.activate(licence, start);
    // Claimed, then the process died: no extension, no event, no projection.
    const orphan = renewChange(subscription, renewal("T2M2"), at("2027-11-20T00:00:00Z"));
    await t.store.claim(orphan);
    expect((await t.store.findProjection("T2M1"))?.version).toBe(1);
    // Readers see the truth at once, but leave a young change to its writer.
    expect((await t.subscriptions.current("T2M1"))?.version).toBe(2);
    expect(t.announced).toEqual([]);
    // The worker's retry of the same renewal finishes it.
    const renewed = await t.subscriptions.renew("T2M1", renewal("T2M2"), at("2027-11-20T00:01:00Z"));
    expect(renewed).toEqual(orphan.state);
    expect(t.announced.map((c) => c.kind)).toEqual(["RENEWED"]);
    expect((await t.store.findProjection("T2M1"))?.version).toBe(2);
    expect(t.log.events.size).toBe(1);
  });

  it("lets a reader finish a change once it is older than the grace period", async () => {
    const t = setup(at("2027-11-20T00:00:00Z"));
    const { subscription } = await t.subscriptions.activate(licence, start);
    await t.store.claim({ ...renewChange(subscription, renewal("T2M2"), at("2027-11-20T00:00:00Z")), recordedAt: at("2027-11-20T00:00:00Z") });
    await t.subscriptions.current("T2M1");
    expect(t.announced).toEqual([]);
    t.clock.now = at("2027-11-20T00:00:31Z");
    await t.subscriptions.current("T2M1");
    expect(t.announced.map((c) => c.kind)).toEqual(["RENEWED"]);
  });

  it("revokes once; a second call returns the revoked subscription; renewal is refused after", async () => {
    const t = setup();
    const { subscription } = await t.subscriptions.activate(licence, start);
    const first = await t.subscriptions.revoke(subscription.activationReference, "chargeback", at("2027-03-01T00:00:00Z"));
    const second = await t.subscriptions.revoke("T2M1", "again", at("2027-03-02T00:00:00Z"));
    expect(first).toMatchObject({ alreadyRevoked: false, subscription: { status: "REVOKED", revocationReason: "chargeback" } });
    expect(second).toEqual({ alreadyRevoked: true, subscription: first.subscription });
    expect(t.announced.map((c) => c.kind)).toEqual(["REVOKED"]);
    expect([...t.log.events.values()].map((e) => e.kind)).toEqual(["revoked"]);
    await expect(t.subscriptions.prepareRenewal({ renewalOrderId: "T2M3", reference: "T2M1", productId: "ZOHO_CRM_STD", customerId: "C1" }, at("2027-03-03T00:00:00Z"))).rejects.toMatchObject({ reason: "SUBSCRIPTION_REVOKED" });
    await expect(t.subscriptions.renew("T2M1", renewal("T2M3"), at("2027-03-03T00:00:00Z"))).rejects.toMatchObject({ reason: "SUBSCRIPTION_REVOKED" });
  });

  it("refuses a renewal of an unknown subscription, or for another product or customer", async () => {
    const t = setup();
    await t.subscriptions.activate(licence, start);
    const prepare = (reference: string, productId: string, customerId: string) =>
      t.subscriptions.prepareRenewal({ renewalOrderId: "T2M9", reference, productId, customerId }, start);
    await expect(prepare("nope", "ZOHO_CRM_STD", "C1")).rejects.toBeInstanceOf(SubscriptionNotFound);
    await expect(prepare("T2M1", "ZOHO_BOOKS_STD", "C1")).rejects.toBeInstanceOf(RenewalMismatch);
    await expect(prepare("T2M1", "ZOHO_CRM_STD", "C2")).rejects.toBeInstanceOf(RenewalMismatch);
    expect(t.pending.entries.size).toBe(0);
  });

  it("expires a subscription past its end once, whoever else tries, and not one renewed meanwhile", async () => {
    const t = setup();
    const { subscription } = await t.subscriptions.activate(licence, start);
    const after = at("2027-12-02T02:00:00Z");
    expect(await t.subscriptions.expireIfDue(subscription, at("2027-11-30T02:00:00Z"))).toBe("not-due");
    // Two runs with the same (stale) projection.
    const outcomes = await Promise.all([t.subscriptions.expireIfDue(subscription, after), t.subscriptions.expireIfDue(subscription, after)]);
    expect(outcomes.sort()).toEqual(["already-expired", "expired"]);
    expect(t.announced.map((c) => [c.kind, c.version])).toEqual([["EXPIRED", 2]]);

    // Another subscription, renewed (a claim not yet projected) when the job reads it.
    const other = (await t.subscriptions.activate({ ...licence, orderId: "T2M5" }, start)).subscription;
    await t.store.claim(renewChange(other, renewal("T2M6"), at("2027-11-30T00:00:00Z")));
    expect(await t.subscriptions.expireIfDue(other, after)).toBe("changed");
    expect((await t.store.findProjection("T2M5"))).toMatchObject({ status: "ACTIVE", version: 2, expiryDay: "2028-12-01" });
  });

  it("renews an expired subscription from now", async () => {
    const t = setup();
    const { subscription } = await t.subscriptions.activate(licence, start);
    await t.subscriptions.expireIfDue(subscription, at("2027-12-02T02:00:00Z"));
    const renewed = await t.subscriptions.renew("T2M1", renewal("T2M7"), at("2028-01-10T09:00:00Z"));
    expect(renewed).toMatchObject({ status: "ACTIVE", version: 3, startDate: at("2028-01-10T09:00:00Z"), expiryDate: at("2029-01-10T09:00:00Z") });
  });

  it("lists a customer's subscriptions, oldest first", async () => {
    const t = setup();
    await t.subscriptions.activate({ ...licence, orderId: "T2M-B" }, at("2026-12-02T00:00:00Z"));
    await t.subscriptions.activate({ ...licence, orderId: "T2M-A" }, start);
    await t.subscriptions.activate({ ...licence, orderId: "T2M-X", customer: { ...customer, customerId: "C2" } }, start);
    expect((await t.subscriptions.ofCustomer("C1")).map((s) => s.orderId)).toEqual(["T2M-A", "T2M-B"]);
  });

  it("reads a subscription stored before histories existed as its change 1", async () => {
    const t = setup();
    // A projection with no change behind it, as the old code stored subscriptions.
    await t.store.project(activate({ ...licence, customerEmail: "ada@example.com", activationReference: "ZL-OLD", customerId: "C1" }, start));
    const { subscription, history } = await t.subscriptions.lookup("ZL-OLD");
    expect(history.map((c) => [c.version, c.kind, c.orderId])).toEqual([[1, "ACTIVATED", "T2M1"]]);
    // Its next change is version 2.
    expect(await t.subscriptions.renew(subscription.orderId, renewal("T2M2"), at("2027-11-01T00:00:00Z"))).toMatchObject({ version: 2 });
  });
});
