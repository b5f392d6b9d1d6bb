import { tokenDigest } from "@t2m/platform";
import { SandboxDefaults } from "@t2m/topology";
import { describe, expect, it } from "vitest";
import {
  childEnv,
  DEFAULT_SERVICE_PORTS,
  hostAndPort,
  mongoDatabaseName,
  mongoUrlWithDatabase,
  redactUrl,
  serviceEnv,
  SERVICE_VARIABLES,
  userOverrides,
  type StackTopology,
} from "./config.js";
import { SERVICE_NAMES } from "./processes.js";

const topology: StackTopology = {
  ports: DEFAULT_SERVICE_PORTS,
  natsUrl: "nats://127.0.0.1:4222",
  mongodbUrl: "mongodb://127.0.0.1:27017/t2mobile",
  catalogueFile: "/repo/services/catalogue/data/products.json",
  logLevel: "info",
};

describe("serviceEnv", () => {
  it("gives each process the contract it reads, with local URLs and sandbox credentials", () => {
    expect(serviceEnv("gateway", topology)).toEqual({
      NODE_ENV: "development",
      LOG_LEVEL: "info",
      HOST: "127.0.0.1",
      PORT: "4000",
      T2MOBILE_API_KEY: SandboxDefaults.t2mobileApiKey,
      CATALOGUE_URL: "http://127.0.0.1:4101",
      FULFILMENT_URL: "http://127.0.0.1:4102",
      PROVISIONING_URL: "http://127.0.0.1:4103",
      NATS_URL: "nats://127.0.0.1:4222",
      NATS_PASSWORD: SandboxDefaults.natsPasswords.gateway,
      MONGODB_URL: "mongodb://127.0.0.1:27017/t2mobile",
      RPC_TOKEN_GATEWAY: SandboxDefaults.rpcTokens.gateway,
    });
    // Servers get their callers' token digests, never the tokens.
    expect(serviceEnv("provisioning", topology)).toMatchObject({
      RPC_TOKEN_FULFILMENT_SHA256: tokenDigest(SandboxDefaults.rpcTokens.fulfilment),
      RPC_TOKEN_OPERATOR_SHA256: tokenDigest(SandboxDefaults.rpcTokens.operator),
    });
    expect(Object.values(serviceEnv("provisioning", topology))).not.toContain(SandboxDefaults.rpcTokens.fulfilment);
    expect(serviceEnv("provisioning", topology)).toMatchObject({
      PORT: "4103",
      NATS_URL: "nats://127.0.0.1:4222",
      ZOHO_ACCOUNTS_URL: "http://127.0.0.1:4105",
      ZOHO_API_URL: "http://127.0.0.1:4105/inventory/v1",
      ZOHO_CLIENT_SECRET: SandboxDefaults.zohoClientSecret,
      // The subscription jobs run with provisioning's environment.
      CATALOGUE_URL: "http://127.0.0.1:4101",
      FULFILMENT_URL: "http://127.0.0.1:4102",
    });
    expect(serviceEnv("notification", topology)).toMatchObject({
      T2MOBILE_WEBHOOK_URL: "http://127.0.0.1:4106/webhooks/t2mobile",
      T2MOBILE_WEBHOOK_SECRET: SandboxDefaults.t2mobileWebhookSecret,
      PROVISIONING_URL: "http://127.0.0.1:4103",
    });
    expect(serviceEnv("webhook-inbox", topology).T2MOBILE_WEBHOOK_SECRET).toBe(SandboxDefaults.t2mobileWebhookSecret);
    expect(serviceEnv("zoho-sandbox", topology).CATALOGUE_FILE).toBe(topology.catalogueFile);
    expect(serviceEnv("zoho-sandbox", topology)).not.toHaveProperty("ZOHO_SANDBOX_STATE_FILE");
    expect(serviceEnv("zoho-sandbox", { ...topology, zohoSandboxStateFile: "/repo/.data/zoho-sandbox/state.json" }).ZOHO_SANDBOX_STATE_FILE).toBe(
      "/repo/.data/zoho-sandbox/state.json",
    );
  });

  it("sets only the common variables and those the process reads", () => {
    for (const name of SERVICE_NAMES) {
      const keys = Object.keys(serviceEnv(name, topology));
      for (const key of keys) expect(["NODE_ENV", "LOG_LEVEL", "HOST", "PORT", ...SERVICE_VARIABLES[name]]).toContain(key);
    }
  });

  it("applies global overrides only where they are read, and per-service overrides last", () => {
    const overrides = {
      global: { NATS_ACK_WAIT_MS: "2000", WEBHOOK_RETRY_DELAYS_MS: "200,500", T2MOBILE_API_KEY: "real-key", OTEL_FOO: "1", UNSET: undefined },
      service: { LOG_LEVEL: "debug" },
    };
    const fulfilment = serviceEnv("fulfilment", topology, overrides);
    expect(fulfilment).toMatchObject({ NATS_ACK_WAIT_MS: "2000", OTEL_FOO: "1", LOG_LEVEL: "debug" });
    expect(fulfilment).not.toHaveProperty("T2MOBILE_API_KEY");
    expect(fulfilment).not.toHaveProperty("WEBHOOK_RETRY_DELAYS_MS");
    expect(fulfilment).not.toHaveProperty("UNSET");
    expect(serviceEnv("notification", topology, overrides)).toMatchObject({ NATS_ACK_WAIT_MS: "2000", WEBHOOK_RETRY_DELAYS_MS: "200,500" });
    expect(serviceEnv("gateway", topology, overrides).T2MOBILE_API_KEY).toBe("real-key");
    expect(serviceEnv("catalogue", topology, overrides)).not.toHaveProperty("NATS_ACK_WAIT_MS");
  });

  it("keeps the webhook secret in step between notification and the inbox", () => {
    const overrides = { global: { T2MOBILE_WEBHOOK_SECRET: "whsec_other" } };
    expect(serviceEnv("notification", topology, overrides).T2MOBILE_WEBHOOK_SECRET).toBe("whsec_other");
    expect(serviceEnv("webhook-inbox", topology, overrides).T2MOBILE_WEBHOOK_SECRET).toBe("whsec_other");
  });
});

describe("childEnv", () => {
  it("keeps PATH and OTEL_* but drops the parent's contract variables and vitest's", () => {
    const env = childEnv(
      { PATH: "/bin", OTEL_EXPORTER_OTLP_ENDPOINT: "http://x", NATS_URL: "nats://elsewhere", PORT: "1", VITEST_POOL_ID: "1", HOME: undefined },
      { PORT: "4101" },
    );
    expect(env).toEqual({ PATH: "/bin", OTEL_EXPORTER_OTLP_ENDPOINT: "http://x", PORT: "4101" });
  });

  it("gives the services DEVSTACK_NODE_OPTIONS as their NODE_OPTIONS, never the parent's NODE_OPTIONS", () => {
    expect(childEnv({ NODE_OPTIONS: "--inspect", DEVSTACK_NODE_OPTIONS: "--heapsnapshot-near-heap-limit=1" }, {})).toEqual({ NODE_OPTIONS: "--heapsnapshot-near-heap-limit=1" });
    expect(childEnv({ NODE_OPTIONS: "--inspect" }, {})).toEqual({});
  });
});

describe("userOverrides", () => {
  it("passes credentials and timings on, never topology, and ignores empty values", () => {
    expect(
      userOverrides({ T2MOBILE_API_KEY: "k", WEBHOOK_RETRY_DELAYS_MS: "", NATS_URL: "nats://x", PORT: "1", ZOHO_API_URL: "https://z" }),
    ).toEqual({ T2MOBILE_API_KEY: "k", ZOHO_API_URL: "https://z" });
  });
});

describe("MongoDB URLs", () => {
  it("appends a database, keeping options", () => {
    expect(mongoUrlWithDatabase("mongodb://127.0.0.1:41234/", "t2mobile")).toBe("mongodb://127.0.0.1:41234/t2mobile");
    expect(mongoUrlWithDatabase("mongodb://127.0.0.1:41234", "t2mobile")).toBe("mongodb://127.0.0.1:41234/t2mobile");
    expect(mongoUrlWithDatabase("mongodb://u:p@h:1/old?authSource=admin", "new")).toBe("mongodb://u:p@h:1/new?authSource=admin");
    expect(() => mongoUrlWithDatabase("mongodb://h:1/", "bad/name")).toThrow(/invalid database/);
    expect(() => mongoUrlWithDatabase("http://h:1/", "db")).toThrow(/not a MongoDB URL/);
  });

  it("reads the database name", () => {
    expect(mongoDatabaseName("mongodb://h:1/t2mobile?x=1")).toBe("t2mobile");
    expect(mongoDatabaseName("mongodb://h:1/")).toBeUndefined();
  });
});

describe("hostAndPort and redactUrl", () => {
  it("splits single-host URLs and refuses SRV and several hosts", () => {
    expect(hostAndPort("nats://127.0.0.1:4222", 4222)).toEqual({ host: "127.0.0.1", port: 4222 });
    expect(hostAndPort("nats://localhost", 4222)).toEqual({ host: "localhost", port: 4222 });
    expect(hostAndPort("mongodb://user:pw@db.local:27018/t2m", 27017)).toEqual({ host: "db.local", port: 27018 });
    expect(hostAndPort("mongodb://[::1]:27017/x", 27017)).toEqual({ host: "::1", port: 27017 });
    expect(hostAndPort("mongodb+srv://cluster.example.com/x", 27017)).toBeUndefined();
    expect(hostAndPort("mongodb://a:1,b:2/x", 27017)).toBeUndefined();
  });

  it("hides passwords", () => {
    expect(redactUrl("mongodb://user:s3cret@h:1/db")).toBe("mongodb://user:***@h:1/db");
    expect(redactUrl("mongodb://h:1/db")).toBe("mongodb://h:1/db");
  });
});
