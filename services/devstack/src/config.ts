import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { rpcDigestVariable, rpcTokenVariable, tokenDigest } from "@t2m/platform";
import { DefaultPorts, localUrl, RpcCallersOf, SandboxDefaults, type RpcCaller } from "@t2m/topology";
import { SERVICE_NAMES, type ServiceName } from "./processes.js";

export type Environment = Record<string, string | undefined>;

/** The repository root: this file is services/devstack/{src,dist}/config.{ts,js}. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export const paths = (repoRoot = REPO_ROOT) => ({
  repoRoot,
  /** Built tools (the FerretDB binary); ignored by git. */
  binDir: join(repoRoot, ".cache/bin"),
  /** Data `npm start` keeps between runs; ignored by git. */
  dataDir: join(repoRoot, ".data"),
  ferretDbSource: join(repoRoot, "services/devstack/ferretdb"),
  catalogueFile: join(repoRoot, "services/catalogue/data/products.json"),
});

/** Where `npm start` puts each process (the platform's DefaultPorts). */
export const DEFAULT_SERVICE_PORTS: Readonly<Record<ServiceName, number>> = {
  gateway: DefaultPorts.gateway,
  catalogue: DefaultPorts.catalogue,
  fulfilment: DefaultPorts.fulfilment,
  provisioning: DefaultPorts.provisioning,
  notification: DefaultPorts.notification,
  "zoho-sandbox": DefaultPorts.zohoSandbox,
  "webhook-inbox": DefaultPorts.webhookInbox,
};

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
export const DEFAULT_MONGODB_LISTEN = "127.0.0.1:27017";
export const DEFAULT_DATABASE = "t2mobile";
export const WEBHOOK_INBOX_PATH = "/webhooks/t2mobile";

/** Variables every process reads. */
export const COMMON_VARIABLES = ["NODE_ENV", "LOG_LEVEL", "HOST", "PORT", "SHUTDOWN_TIMEOUT_MS"] as const;

/** The env contract: what each process reads besides the common variables (and OTEL_*). */
const digests = (callers: readonly RpcCaller[]) => callers.map((c) => rpcDigestVariable(c));

export const SERVICE_VARIABLES: Readonly<Record<ServiceName, readonly string[]>> = {
  gateway: ["T2MOBILE_API_KEY", "CATALOGUE_URL", "FULFILMENT_URL", "PROVISIONING_URL", "NATS_URL", "NATS_PASSWORD", "MONGODB_URL", "RPC_TOKEN_GATEWAY"],
  catalogue: ["CATALOGUE_FILE", ...digests(RpcCallersOf.catalogue)],
  fulfilment: [
    "NATS_URL",
    "NATS_PASSWORD",
    "MONGODB_URL",
    "CATALOGUE_URL",
    "PROVISIONING_URL",
    "NATS_ACK_WAIT_MS",
    // The manual licence queue: how often an order waiting for an operator asks again, and how long it waits.
    "MANUAL_LICENCE_POLL_SECONDS",
    "MANUAL_LICENCE_GIVE_UP_HOURS",
    "RPC_TOKEN_FULFILMENT",
    ...digests(RpcCallersOf.fulfilment),
  ],
  provisioning: [
    "NATS_URL",
    "NATS_PASSWORD",
    "RPC_TOKEN_PROVISIONING",
    ...digests(RpcCallersOf.provisioning),
    "MONGODB_URL",
    "ZOHO_BUDGET_CALLS_PER_MINUTE",
    "ZOHO_BUDGET_MAX_CONCURRENT",
    "ZOHO_BUDGET_MAX_WAIT_MS",
    "ZOHO_ORGANIZATION_ID",
    "ZOHO_CLIENT_ID",
    "ZOHO_CLIENT_SECRET",
    "ZOHO_REFRESH_TOKEN",
    "ZOHO_ACCOUNTS_URL",
    "ZOHO_API_URL",
    "LICENCE_PROVISIONER",
    // The subscription jobs: renewal prices, and whether a renewal order is finished.
    "CATALOGUE_URL",
    "FULFILMENT_URL",
  ],
  notification: [
    "NATS_URL",
    "NATS_PASSWORD",
    "RPC_TOKEN_NOTIFICATION",
    ...digests(RpcCallersOf.notification),
    "MONGODB_URL",
    "FULFILMENT_URL",
    "PROVISIONING_URL",
    "T2MOBILE_WEBHOOK_URL",
    "T2MOBILE_WEBHOOK_SECRET",
    "T2MOBILE_WEBHOOK_SECRETS",
    "WEBHOOK_RETRY_DELAYS_MS",
    "NATS_ACK_WAIT_MS",
  ],
  "zoho-sandbox": [
    "ZOHO_ORGANIZATION_ID",
    "ZOHO_CLIENT_ID",
    "ZOHO_CLIENT_SECRET",
    "ZOHO_REFRESH_TOKEN",
    "CATALOGUE_FILE",
    "ZOHO_SANDBOX_STATE_FILE",
    "ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE",
    "ZOHO_SANDBOX_MAX_CONCURRENT",
  ],
  "webhook-inbox": ["T2MOBILE_WEBHOOK_SECRET", "T2MOBILE_WEBHOOK_SECRETS"],
};

/** Every variable of the platform's env contract. */
export const CONTRACT_VARIABLES: ReadonlySet<string> = new Set([...COMMON_VARIABLES, ...Object.values(SERVICE_VARIABLES).flat()]);

/** True when `name` reads `key`, or `key` is not part of the contract at all (e.g. OTEL_*). */
export const readsVariable = (name: ServiceName, key: string): boolean =>
  !CONTRACT_VARIABLES.has(key) || (COMMON_VARIABLES as readonly string[]).includes(key) || SERVICE_VARIABLES[name].includes(key);

/** What the stack knows when it assembles a process's environment. */
export interface StackTopology {
  readonly ports: Readonly<Record<ServiceName, number>>;
  readonly natsUrl: string;
  /** With the database name, e.g. mongodb://127.0.0.1:27017/t2mobile. */
  readonly mongodbUrl: string;
  readonly catalogueFile: string;
  readonly logLevel: string;
  /** Where the Zoho sandbox keeps its organisation between restarts; unset, it starts empty each time. */
  readonly zohoSandboxStateFile?: string;
}

export interface EnvOverrides {
  /**
   * Applied to every process that reads the variable (e.g. NATS_ACK_WAIT_MS
   * reaches fulfilment and notification only); variables outside the
   * contract reach every process.
   */
  readonly global?: Environment;
  /** Applied to one process, after the global ones. */
  readonly service?: Environment;
}

const defined = (env: Environment | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(env ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));

/**
 * The env contract of one process: everything it reads, with sandbox
 * credentials unless the overrides bring real ones. Later wins: stack
 * defaults, then global overrides (only those this process reads, so no
 * process sees another's secrets), then the service's own.
 */
export function serviceEnv(name: ServiceName, topology: StackTopology, overrides: EnvOverrides = {}): Record<string, string> {
  const global = defined(overrides.global);
  const pick = (key: string, fallback: string) => global[key] ?? fallback;
  const url = (service: ServiceName) => localUrl(topology.ports[service]);
  const zohoSandbox = url("zoho-sandbox");
  const zoho = {
    ZOHO_ORGANIZATION_ID: pick("ZOHO_ORGANIZATION_ID", SandboxDefaults.zohoOrganizationId),
    ZOHO_CLIENT_ID: pick("ZOHO_CLIENT_ID", SandboxDefaults.zohoClientId),
    ZOHO_CLIENT_SECRET: pick("ZOHO_CLIENT_SECRET", SandboxDefaults.zohoClientSecret),
    ZOHO_REFRESH_TOKEN: pick("ZOHO_REFRESH_TOKEN", SandboxDefaults.zohoRefreshToken),
  };
  const webhookSecret = pick("T2MOBILE_WEBHOOK_SECRET", SandboxDefaults.t2mobileWebhookSecret);
  // Each caller's service token, and for the servers it calls the token's digest (never the token).
  const token = (caller: RpcCaller) => pick(rpcTokenVariable(caller), SandboxDefaults.rpcTokens[caller]);
  const ownToken = (caller: RpcCaller) => ({ [rpcTokenVariable(caller)]: token(caller) });
  const callerDigests = (callers: readonly RpcCaller[]) =>
    Object.fromEntries(callers.map((c) => [rpcDigestVariable(c), pick(rpcDigestVariable(c), tokenDigest(token(c)))]));
  const natsPassword = (service: keyof typeof SandboxDefaults.natsPasswords) => ({ NATS_PASSWORD: SandboxDefaults.natsPasswords[service] });

  const common: Record<string, string> = {
    NODE_ENV: "development",
    LOG_LEVEL: topology.logLevel,
    HOST: "127.0.0.1",
    PORT: String(topology.ports[name]),
  };
  const own: Record<ServiceName, Record<string, string>> = {
    gateway: {
      T2MOBILE_API_KEY: pick("T2MOBILE_API_KEY", SandboxDefaults.t2mobileApiKey),
      CATALOGUE_URL: url("catalogue"),
      FULFILMENT_URL: url("fulfilment"),
      PROVISIONING_URL: url("provisioning"),
      NATS_URL: topology.natsUrl,
      ...natsPassword("gateway"),
      MONGODB_URL: topology.mongodbUrl,
      ...ownToken("gateway"),
    },
    catalogue: { CATALOGUE_FILE: topology.catalogueFile, ...callerDigests(RpcCallersOf.catalogue) },
    fulfilment: {
      NATS_URL: topology.natsUrl,
      ...natsPassword("fulfilment"),
      ...ownToken("fulfilment"),
      ...callerDigests(RpcCallersOf.fulfilment),
      MONGODB_URL: topology.mongodbUrl,
      CATALOGUE_URL: url("catalogue"),
      PROVISIONING_URL: url("provisioning"),
      // An operator completing a task locally sees its order finish within seconds, not a minute.
      MANUAL_LICENCE_POLL_SECONDS: "2",
    },
    provisioning: {
      NATS_URL: topology.natsUrl,
      ...natsPassword("provisioning"),
      ...ownToken("provisioning"),
      ...callerDigests(RpcCallersOf.provisioning),
      MONGODB_URL: topology.mongodbUrl,
      ...zoho,
      ZOHO_ACCOUNTS_URL: zohoSandbox,
      ZOHO_API_URL: `${zohoSandbox}/inventory/v1`,
      CATALOGUE_URL: url("catalogue"),
      FULFILMENT_URL: url("fulfilment"),
    },
    notification: {
      NATS_URL: topology.natsUrl,
      ...natsPassword("notification"),
      ...ownToken("notification"),
      ...callerDigests(RpcCallersOf.notification),
      MONGODB_URL: topology.mongodbUrl,
      FULFILMENT_URL: url("fulfilment"),
      PROVISIONING_URL: url("provisioning"),
      T2MOBILE_WEBHOOK_URL: pick("T2MOBILE_WEBHOOK_URL", `${url("webhook-inbox")}${WEBHOOK_INBOX_PATH}`),
      T2MOBILE_WEBHOOK_SECRET: webhookSecret,
    },
    "zoho-sandbox": {
      ...zoho,
      CATALOGUE_FILE: topology.catalogueFile,
      ...(topology.zohoSandboxStateFile ? { ZOHO_SANDBOX_STATE_FILE: topology.zohoSandboxStateFile } : {}),
    },
    "webhook-inbox": { T2MOBILE_WEBHOOK_SECRET: webhookSecret },
  };
  const globalForThis = Object.fromEntries(Object.entries(global).filter(([key]) => readsVariable(name, key)));
  return { ...common, ...own[name], ...globalForThis, ...defined(overrides.service) };
}

/**
 * The environment a child actually gets: the parent's (PATH, OTEL_*, …)
 * without any contract variable, plus the process's own contract.
 */
export function childEnv(parent: Environment, own: Record<string, string>): Record<string, string> {
  const inherited = defined(parent);
  for (const key of CONTRACT_VARIABLES) delete inherited[key];
  // The parent's npm/vitest bookkeeping means nothing to a service.
  for (const key of Object.keys(inherited)) if (key.startsWith("VITEST") || key === "NODE_OPTIONS") delete inherited[key];
  // DEVSTACK_NODE_OPTIONS reaches the services as their NODE_OPTIONS (a profiler, heap snapshots), and nothing else.
  const debugOptions = inherited.DEVSTACK_NODE_OPTIONS;
  delete inherited.DEVSTACK_NODE_OPTIONS;
  return { ...inherited, ...(debugOptions ? { NODE_OPTIONS: debugOptions } : {}), ...own };
}

/** Appends a database name to a MongoDB URL: mongodb://h:1/ + "t2mobile" -> mongodb://h:1/t2mobile (query kept). */
export function mongoUrlWithDatabase(url: string, database: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(database)) throw new Error(`invalid database name: ${JSON.stringify(database)}`);
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)\/?([^?]*)(\?.*)?$/.exec(url);
  if (!match) throw new Error(`not a MongoDB URL: ${url}`);
  return `${match[1]}/${database}${match[3] ?? ""}`;
}

/** The database named in a MongoDB URL's path, if any. */
export function mongoDatabaseName(url: string): string | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/[^/?]+\/([^?]+)/.exec(url);
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}

/** Host and port of a single-host URL (nats://h:p, mongodb://[user@]h:p/db); undefined for several hosts or SRV. */
export function hostAndPort(url: string, defaultPort: number): { host: string; port: number } | undefined {
  const match = /^([a-z+]+):\/\/(?:[^@/]*@)?([^/?,]+)(?:[/?]|$)/i.exec(url);
  if (!match || match[1]?.includes("+srv")) return undefined;
  const hostPort = match[2] ?? "";
  const ipv6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
  if (ipv6) return { host: ipv6[1] ?? "", port: ipv6[2] ? Number(ipv6[2]) : defaultPort };
  const [host, port] = hostPort.split(":");
  if (!host) return undefined;
  return { host, port: port ? Number(port) : defaultPort };
}

export const isLoopback = (host: string): boolean => host === "localhost" || host === "::1" || host.startsWith("127.");

export { SERVICE_NAMES, type ServiceName };

/**
 * Variables a developer may set for `npm start` that the stack passes on
 * (credentials, the webhook target, retry timings). Topology (ports, URLs
 * between processes, NATS_URL, MONGODB_URL) is the stack's to decide.
 */
export const USER_VARIABLES = [
  "T2MOBILE_API_KEY",
  "T2MOBILE_WEBHOOK_SECRET",
  "T2MOBILE_WEBHOOK_SECRETS",
  "T2MOBILE_WEBHOOK_URL",
  "ZOHO_ORGANIZATION_ID",
  "ZOHO_CLIENT_ID",
  "ZOHO_CLIENT_SECRET",
  "ZOHO_REFRESH_TOKEN",
  "ZOHO_ACCOUNTS_URL",
  "ZOHO_API_URL",
  "CATALOGUE_FILE",
  "NATS_ACK_WAIT_MS",
  "WEBHOOK_RETRY_DELAYS_MS",
  "SHUTDOWN_TIMEOUT_MS",
  "ZOHO_SANDBOX_STATE_FILE",
  "ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE",
  "ZOHO_SANDBOX_MAX_CONCURRENT",
  "ZOHO_BUDGET_CALLS_PER_MINUTE",
  "ZOHO_BUDGET_MAX_CONCURRENT",
  "ZOHO_BUDGET_MAX_WAIT_MS",
  "EXPIRY_REMINDER_DAYS",
  "SUBSCRIPTION_JOB_CATCH_UP_DAYS",
  "LICENCE_PROVISIONER",
  "MANUAL_LICENCE_POLL_SECONDS",
  "MANUAL_LICENCE_GIVE_UP_HOURS",
] as const;

/** The user's settings among USER_VARIABLES (empty counts as unset). */
export function userOverrides(env: Environment): Record<string, string> {
  return Object.fromEntries(
    USER_VARIABLES.flatMap((key) => {
      const value = env[key];
      return value === undefined || value === "" ? [] : [[key, value]];
    }),
  );
}

/** A URL fit to print: any password is replaced by ***. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}
