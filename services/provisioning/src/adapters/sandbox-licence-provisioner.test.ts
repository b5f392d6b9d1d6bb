import { describe, expect, it } from "vitest";
import { SandboxDefaults } from "@t2m/topology";
import { MemoryLicenceLog, SandboxLicenceProvisioner } from "./sandbox-licence-provisioner.js";

const request = (orderId: string) => ({
  orderId,
  zohoSalesOrderId: "SO-1",
  productId: "ZOHO_CRM_STD",
  tenure: "12_MONTHS",
  tenureMonths: 12,
  customer: { customerId: "C1", name: "Ada", email: "ada@example.com", phone: "0801" },
});

describe("SandboxLicenceProvisioner", () => {
  it("gives the same reference for the same order and different ones otherwise", async () => {
    const provisioner = new SandboxLicenceProvisioner(SandboxDefaults.sandboxLicenceKey);
    const a = await provisioner.provision(request("T2M1"));
    expect(a.activationReference).toMatch(/^ZL-CRMSTD-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$/);
    expect(await provisioner.provision(request("T2M1"))).toEqual(a);
    expect((await provisioner.provision(request("T2M2"))).activationReference).not.toBe(a.activationReference);
  });
});

describe("SandboxLicenceProvisioner's log", () => {
  it("records each extension and the revocation once, however often it is told", async () => {
    const log = new MemoryLicenceLog();
    const provisioner = new SandboxLicenceProvisioner(SandboxDefaults.sandboxLicenceKey, log);
    const extension = {
      activationReference: "ZL-1",
      renewalOrderId: "T2M2",
      subscriptionId: "T2M1",
      productId: "ZOHO_CRM_STD",
      customerId: "C1",
      customerEmail: "ada@example.com",
      zohoSalesOrderId: "SO-2",
      tenure: "12_MONTHS",
      tenureMonths: 12, periodStart: new Date("2027-01-01T00:00:00Z"), expiryDate: new Date("2028-01-01T00:00:00Z") };
    await provisioner.extend(extension);
    await provisioner.extend(extension);
    await provisioner.revoke({ activationReference: "ZL-1", reason: "fraud", revokedAt: new Date("2027-02-01T00:00:00Z") });
    await provisioner.revoke({ activationReference: "ZL-1", reason: "fraud", revokedAt: new Date("2027-02-01T00:00:05Z") });
    expect([...log.events.values()].map((e) => e.kind)).toEqual(["extended", "revoked"]);
  });
});
