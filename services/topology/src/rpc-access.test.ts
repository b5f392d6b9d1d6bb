import { callersOf } from "@t2m/platform";
import { describe, expect, it } from "vitest";
import { RPC_CALLERS, RpcAccess, RpcCallersOf, RpcServices } from "./rpc-access.js";

describe("the RPC access policy", () => {
  it("names every method of every service, and nothing else", () => {
    const methods = Object.values(RpcServices).flatMap((services) => services.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`)));
    expect(Object.keys(RpcAccess).sort()).toEqual(methods.sort());
  });

  it("only names known callers", () => {
    for (const callers of Object.values(RpcAccess)) for (const c of callers) expect(RPC_CALLERS).toContain(c);
  });

  it.each(Object.keys(RpcServices) as Array<keyof typeof RpcServices>)("RpcCallersOf.%s is what the policy lets call it", (name) => {
    expect([...RpcCallersOf[name]].sort()).toEqual(callersOf(RpcAccess, RpcServices[name].map((s) => s.typeName)));
  });

  it("leaves intake to the gateway and Zoho's mutations to fulfilment", () => {
    expect(RpcAccess["t2mobile.fulfilment.v1.FulfilmentService/SubmitOrder"]).toEqual(["gateway"]);
    expect(RpcAccess["t2mobile.fulfilment.v1.FulfilmentService/SubmitOrders"]).toEqual(["gateway"]);
    for (const m of ["CreateSalesOrder", "ProvisionLicence", "VoidSalesOrder"]) {
      expect(RpcAccess[`t2mobile.provisioning.v1.ProvisioningService/${m}` as keyof typeof RpcAccess]).toEqual(["fulfilment"]);
    }
  });
});
