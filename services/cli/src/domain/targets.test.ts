import { FulfilmentService } from "@t2m/proto/fulfilment/v1/fulfilment";
import { NotificationJobService } from "@t2m/proto/notification/v1/jobs";
import { PartnerService } from "@t2m/proto/partners/v1/partners";
import { SubscriptionService } from "@t2m/proto/provisioning/v1/provisioning";
import { SandboxDefaults } from "@t2m/topology/local";
import { describe, expect, it } from "vitest";
import { UsageError } from "./exit-codes.js";
import { resolveTarget, serverOf } from "./targets.js";

describe("routing", () => {
  it("sends each service to the process that serves it", () => {
    expect([FulfilmentService, PartnerService, SubscriptionService, NotificationJobService].map(serverOf)).toEqual(["fulfilment", "fulfilment", "provisioning", "notification"]);
  });

  it("defaults to npm start's addresses and the local operator token", () => {
    expect(resolveTarget("fulfilment", { urlFromFlag: false, env: {} })).toEqual({
      server: "fulfilment",
      baseUrl: "http://127.0.0.1:4102",
      localDefault: true,
      token: SandboxDefaults.rpcTokens.operator,
    });
    expect(resolveTarget("notification", { urlFromFlag: false, env: {} }).baseUrl).toBe("http://127.0.0.1:4104");
  });

  it("sends everything to one base URL with --url, which needs a token unless it is this machine", () => {
    const target = resolveTarget("provisioning", { url: "https://ops.example.com/", urlFromFlag: true, token: "t0k", env: { T2M_PROVISIONING_URL: "http://127.0.0.1:9" } });
    expect(target).toMatchObject({ baseUrl: "https://ops.example.com", localDefault: false, token: "t0k" });
    expect(() => resolveTarget("provisioning", { url: "https://ops.example.com", urlFromFlag: true, env: {} })).toThrow(/--token or set T2M_TOKEN/);
    expect(resolveTarget("fulfilment", { url: "http://localhost:8080", urlFromFlag: true, env: {} }).token).toBe(SandboxDefaults.rpcTokens.operator);
  });

  it("lets T2M_<SERVER>_URL name one process, over T2M_URL but under --url", () => {
    const env = { T2M_FULFILMENT_URL: "http://127.0.0.1:5102" };
    expect(resolveTarget("fulfilment", { url: "http://127.0.0.1:9000", urlFromFlag: false, env }).baseUrl).toBe("http://127.0.0.1:5102");
    expect(resolveTarget("notification", { url: "http://127.0.0.1:9000", urlFromFlag: false, env }).baseUrl).toBe("http://127.0.0.1:9000");
    expect(resolveTarget("fulfilment", { url: "http://127.0.0.1:9000", urlFromFlag: true, env }).baseUrl).toBe("http://127.0.0.1:9000");
  });

  it("refuses what is not an http(s) URL, as a usage error", () => {
    expect(() => resolveTarget("fulfilment", { url: "ops.example.com", urlFromFlag: true, token: "x", env: {} })).toThrow(UsageError);
    expect(() => resolveTarget("fulfilment", { url: "ftp://ops.example.com", urlFromFlag: true, token: "x", env: {} })).toThrow(/http/);
  });
});
