import { ConfigError, tokenDigest } from "@t2m/platform";
import { describe, expect, it } from "vitest";
import { loadProvisioningConfig } from "./config.js";

/** Every secret production needs, but the licence provisioner's. */
const production = {
  NODE_ENV: "production",
  ZOHO_ORGANIZATION_ID: "org",
  ZOHO_CLIENT_ID: "client",
  ZOHO_CLIENT_SECRET: "secret",
  ZOHO_REFRESH_TOKEN: "refresh",
  NATS_PASSWORD: "a-nats-password-of-some-length",
  RPC_TOKEN_PROVISIONING: "p".repeat(40),
  RPC_TOKEN_GATEWAY_SHA256: tokenDigest("g".repeat(40)),
  RPC_TOKEN_FULFILMENT_SHA256: tokenDigest("f".repeat(40)),
  RPC_TOKEN_NOTIFICATION_SHA256: tokenDigest("n".repeat(40)),
  RPC_TOKEN_OPERATOR_SHA256: tokenDigest("o".repeat(40)),
};
const problems = (env: Record<string, string>) => {
  try {
    loadProvisioningConfig(env);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems;
  }
};

describe("the licence provisioner", () => {
  it("is the sandbox, with the sandbox key, outside production", () => {
    expect(loadProvisioningConfig({})).toMatchObject({ LICENCE_PROVISIONER: "sandbox", SANDBOX_LICENCE_KEY: expect.any(String) });
  });

  it("must be chosen in production: the sandbox only when configured, its key from the Secret", () => {
    expect(problems(production)).toEqual([expect.stringMatching(/^LICENCE_PROVISIONER is required in production/)]);
    expect(problems({ ...production, LICENCE_PROVISIONER: "made-up" })).toEqual(['LICENCE_PROVISIONER must be "manual" or "sandbox"']);
    expect(problems({ ...production, LICENCE_PROVISIONER: "sandbox" })).toEqual([expect.stringMatching(/^SANDBOX_LICENCE_KEY is required with LICENCE_PROVISIONER=sandbox/)]);
    // The manual queue needs no key.
    expect(problems({ ...production, LICENCE_PROVISIONER: "manual" })).toEqual([]);
    const config = loadProvisioningConfig({ ...production, LICENCE_PROVISIONER: "sandbox", SANDBOX_LICENCE_KEY: "k".repeat(32) });
    expect(config.SANDBOX_LICENCE_KEY).toBe("k".repeat(32));
  });

  it("never names the key's value in its complaint", () => {
    expect(problems({ ...production, LICENCE_PROVISIONER: "sandbox", SANDBOX_LICENCE_KEY: "short-key" }).join("\n")).not.toContain("short-key");
  });
});
