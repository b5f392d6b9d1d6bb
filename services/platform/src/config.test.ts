import { describe, expect, it } from "vitest";
import { z } from "zod";
import { baseConfigShape, ConfigError, intList, loadConfig, port, secret, url } from "./config.js";

// The platform is generic: the test brings its own sandbox values.
const SandboxDefaults = { t2mobileApiKey: "sandbox_key_0123456789", zohoClientSecret: "sandbox-secret" };

const build = (ctx: Parameters<Parameters<typeof loadConfig>[1]>[0]) =>
  z.object({
    ...baseConfigShape,
    PORT: port(4000),
    NATS_URL: url(["nats:"]).default("nats://127.0.0.1:4222"),
    T2MOBILE_API_KEY: secret(ctx, SandboxDefaults.t2mobileApiKey, 16),
    ZOHO_CLIENT_SECRET: secret(ctx, SandboxDefaults.zohoClientSecret),
    DELAYS: intList([30_000, 120_000]),
  });

describe("loadConfig", () => {
  it("gives local runs sandbox defaults", () => {
    const config = loadConfig("svc", build, {});
    expect(config).toMatchObject({ PORT: 4000, NODE_ENV: "development", T2MOBILE_API_KEY: SandboxDefaults.t2mobileApiKey, DELAYS: [30_000, 120_000] });
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig("svc", build, { PORT: "" }).PORT).toBe(4000);
  });

  it("refuses to start production without secrets, naming every missing one", () => {
    let error: unknown;
    try {
      loadConfig("gateway", build, { NODE_ENV: "production" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(["T2MOBILE_API_KEY is required", "ZOHO_CLIENT_SECRET is required"]);
    expect((error as Error).message).toContain("gateway: invalid configuration");
  });

  it("lists every invalid value at once without echoing secret values", () => {
    let error: ConfigError | undefined;
    try {
      loadConfig("svc", build, { PORT: "70000", NATS_URL: "http://x", T2MOBILE_API_KEY: "short-secret", DELAYS: "5,x" });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems.map((p) => p.split(" ")[0])).toEqual(["PORT", "NATS_URL", "T2MOBILE_API_KEY", "DELAYS"]);
    expect(error?.message).not.toContain("short-secret");
  });
});
