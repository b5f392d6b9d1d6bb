import { ConfigError } from "@t2m/platform";
import { DefaultPorts, SandboxDefaults } from "@t2m/topology";
import { describe, expect, it } from "vitest";
import { defaultCatalogueFile, loadSandboxConfig } from "./config.js";

describe("loadSandboxConfig", () => {
  it("defaults to the sandbox credentials, Zoho's token life and rate limit, and the shared catalogue", () => {
    expect(loadSandboxConfig({})).toEqual({
      port: DefaultPorts.zohoSandbox,
      host: "127.0.0.1",
      logLevel: "info",
      shutdownTimeoutMs: 10_000,
      organizationId: SandboxDefaults.zohoOrganizationId,
      credentials: { clientId: SandboxDefaults.zohoClientId, clientSecret: SandboxDefaults.zohoClientSecret, refreshToken: SandboxDefaults.zohoRefreshToken },
      tokenTtlSeconds: 3600,
      rateLimitPerMinute: 100,
      maxConcurrent: 10,
      stateFile: undefined,
      catalogueFile: defaultCatalogueFile,
    });
    expect(defaultCatalogueFile).toMatch(/services\/catalogue\/data\/products\.json$/);
  });

  it("reports every bad variable at once", () => {
    const load = () => loadSandboxConfig({ ZOHO_SANDBOX_TOKEN_TTL_SECONDS: "0", ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: "-1", PORT: "http" });
    expect(load).toThrow(ConfigError);
    try {
      load();
    } catch (err) {
      expect((err as ConfigError).problems.map((p) => p.split(" ", 1)[0])).toEqual(
        expect.arrayContaining(["PORT", "ZOHO_SANDBOX_TOKEN_TTL_SECONDS", "ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE"]),
      );
    }
  });

  it("has no credential defaults in production", () => {
    expect(() => loadSandboxConfig({ NODE_ENV: "production" })).toThrow(/ZOHO_CLIENT_SECRET is required/);
  });
});
