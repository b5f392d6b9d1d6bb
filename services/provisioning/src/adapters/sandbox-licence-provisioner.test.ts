import { describe, expect, it } from "vitest";
import { SandboxDefaults } from "@t2m/topology";
import { SandboxLicenceProvisioner } from "./sandbox-licence-provisioner.js";

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
