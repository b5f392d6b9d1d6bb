// startServers(): the NATS and MongoDB a test runs against, in one call.
// Where a Docker engine answers, real MongoDB 7 (a one-node replica set, as
// in production) and NATS 2.11 in containers (testcontainers); otherwise
// nats-server and FerretDB as local processes, FerretDB on a PostgreSQL
// database of its own when PostgreSQL answers, else on SQLite.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_DATABASE, mongoUrlWithDatabase, redactUrl } from "../config.js";
import type { ManagedProcess, OutputSink } from "../processes.js";
import { chooseServers, chooseStore, serversSetting, storeSetting, type ServersChoice, type StoreChoice } from "./choice.js";
import { startFerretDb, type FerretDb } from "./ferretdb.js";
import { startNatsServer, type NatsServer } from "./nats.js";
import { DEVSTACK_NATS_ADMIN, localNatsConfig } from "./nats-accounts.js";
import type { NatsCredentials } from "@t2m/platform";
import { createStackDatabase, DEFAULT_POSTGRESQL_URL, dropDatabase, probePostgres } from "./postgres.js";

/** The images of the containers path: what production runs. */
export const NATS_IMAGE = "nats:2.11";
export const MONGODB_IMAGE = "mongo:7";

export type ServerName = "nats" | "ferretdb";

/** Where the MongoDB data lives. */
export interface StoreInfo {
  readonly kind: "postgresql" | "sqlite" | "mongodb" | "external";
  /** For people, e.g. "FerretDB on PostgreSQL, database t2m_stack_…, dropped on stop". */
  readonly description: string;
  /** The PostgreSQL database FerretDB uses (kind "postgresql"). */
  readonly postgresqlDatabase?: string;
  /** SQLite's directory (kind "sqlite"). */
  readonly sqliteDir?: string;
}

export interface Servers {
  readonly kind: "local" | "containers";
  /** "" when NATS was not wanted. */
  readonly natsUrl: string;
  /** NATS monitoring (/healthz, /jsz), when known. */
  readonly natsMonitorUrl: string | undefined;
  /**
   * A NATS user that may do anything, for tests (the servers started here
   * have the platform's users, each limited to its subjects, and no anonymous access).
   */
  readonly natsAdmin: NatsCredentials;
  /** With the database name; "" when MongoDB was not wanted. */
  readonly mongodbUrl: string;
  readonly store: StoreInfo;
  /** One line: what runs where and why. */
  readonly description: string;
  /** Stops whatever was started (containers removed, temporary data and a stack's PostgreSQL database dropped). Idempotent. */
  stop(): Promise<void>;
}

export interface ServersOptions {
  /** Default: DEVSTACK_SERVERS, else "auto" (containers where a Docker engine answers). */
  readonly servers?: ServersChoice;
  /** Local FerretDB's store. Default: DEVSTACK_STORE, else "auto" (PostgreSQL when it answers). */
  readonly store?: StoreChoice;
  /** The PostgreSQL server to create the stack's database on. Default: DEVSTACK_POSTGRESQL_URL, else postgres://postgres@127.0.0.1:5432/postgres. */
  readonly postgresqlUrl?: string;
  /** MongoDB database name in mongodbUrl; "t2mobile". */
  readonly database?: string;
  /** Local servers keep their data here (nats/, ferretdb/); a temporary directory removed on stop() when omitted. */
  readonly dataDir?: string;
  /** Which servers to start (both by default): a caller that reuses one says so. */
  readonly want?: { readonly nats?: boolean; readonly mongodb?: boolean };
  /** Every output line of a local server, with its name ("nats", "ferretdb") as the source. */
  readonly output?: OutputSink;
  readonly log?: (message: string) => void;
}

/** The parts of local servers; LocalServers owns them from then on. */
export interface LocalServerParts {
  readonly nats?: NatsServer;
  /** When NATS is not ours ("" when there is none). */
  readonly natsUrl?: string;
  readonly ferretDb?: FerretDb;
  /** When MongoDB is not ours (with its database; "" when there is none). */
  readonly mongodbUrl?: string;
  readonly database?: string;
  readonly store: StoreInfo;
  /** A stack's own PostgreSQL database, dropped on stop(). */
  readonly postgresqlDatabase?: { readonly adminUrl: string; readonly name: string };
  /** Removed on stop(). */
  readonly temporaryDir?: string;
  readonly reason?: string;
}

/** nats-server and FerretDB as local processes, which can be stopped and started again on the same ports with the same data. */
export class LocalServers implements Servers {
  readonly kind = "local";
  nats: NatsServer | undefined;
  ferretDb: FerretDb | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly parts: LocalServerParts) {
    this.nats = parts.nats;
    this.ferretDb = parts.ferretDb;
  }

  get natsUrl(): string {
    return this.nats?.url ?? this.parts.natsUrl ?? "";
  }
  get natsMonitorUrl(): string | undefined {
    return this.nats?.monitorUrl;
  }
  get natsAdmin(): NatsCredentials {
    return DEVSTACK_NATS_ADMIN;
  }
  get mongodbUrl(): string {
    return this.ferretDb ? this.ferretDb.databaseUrl(this.parts.database ?? DEFAULT_DATABASE) : (this.parts.mongodbUrl ?? "");
  }
  get store(): StoreInfo {
    return this.parts.store;
  }
  get description(): string {
    const nats = this.nats ? `nats-server on ${this.nats.url}` : `NATS at ${redactUrl(this.natsUrl)}`;
    const mongo = this.ferretDb ? `${this.store.description} on ${this.ferretDb.url}` : `MongoDB at ${redactUrl(this.mongodbUrl)}`;
    return `local servers${this.parts.reason ? ` (${this.parts.reason})` : ""}: ${nats}; ${mongo}`;
  }

  /** The process of a server started here. */
  process(name: ServerName): ManagedProcess | undefined {
    return this.server(name)?.process;
  }

  owns(name: ServerName): boolean {
    return this.server(name) !== undefined;
  }

  private server(name: ServerName): NatsServer | FerretDb | undefined {
    return name === "nats" ? this.nats : this.ferretDb;
  }

  /** Stops one server, keeping its data. */
  async stopServer(name: ServerName): Promise<void> {
    const server = this.server(name);
    if (!server) throw new Error(`${name} was not started here (it is reused), so it cannot be stopped`);
    await server.process.stop({ signal: name === "nats" ? "SIGINT" : "SIGTERM", timeoutMs: 10_000 });
  }

  /** Starts a stopped or crashed server again on the same port with the same data; resolves once it answers. */
  async startServer(name: ServerName): Promise<ManagedProcess> {
    if (this.stopping) throw new Error(`the servers are stopping; cannot start ${name}`);
    if (name === "nats") {
      if (!this.nats) throw new Error("nats was not started here (it is reused)");
      if (this.nats.process.running) throw new Error("nats is already running");
      this.nats = await this.nats.startAgain();
      return this.nats.process;
    }
    if (!this.ferretDb) throw new Error("ferretdb was not started here (it is reused)");
    if (this.ferretDb.process.running) throw new Error("ferretdb is already running");
    this.ferretDb = await this.ferretDb.startAgain();
    return this.ferretDb.process;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.ferretDb?.stop();
      const pg = this.parts.postgresqlDatabase;
      if (pg) await dropDatabase(pg.adminUrl, pg.name);
      await this.nats?.stop();
      if (this.parts.temporaryDir) await rm(this.parts.temporaryDir, { recursive: true, force: true, maxRetries: 3 });
    })();
    return this.stopping;
  }
}

/** Whether a Docker engine answers, as testcontainers finds one (DOCKER_HOST, the socket, ~/.testcontainers.properties…); asked once per process. */
export function dockerEngine(): Promise<{ readonly answers: boolean; readonly detail?: string }> {
  engineProbe ??= (async () => {
    try {
      const { getContainerRuntimeClient } = await import("testcontainers");
      await Promise.race([
        getContainerRuntimeClient(),
        new Promise((_, reject) => setTimeout(() => reject(new Error("no answer within 15 s")), 15_000).unref()),
      ]);
      return { answers: true };
    } catch (err) {
      return { answers: false, detail: err instanceof Error ? err.message : String(err) };
    }
  })();
  return engineProbe;
}
let engineProbe: Promise<{ readonly answers: boolean; readonly detail?: string }> | undefined;

const postgresProbes = new Map<string, Promise<string | undefined>>();

/** Where FerretDB should keep its data: the decision, and the PostgreSQL URL it was made about. */
export async function resolveStore(
  setting: StoreChoice = storeSetting(),
  postgresqlUrl: string = process.env.DEVSTACK_POSTGRESQL_URL || DEFAULT_POSTGRESQL_URL,
): Promise<{ choice: "postgresql" | "sqlite"; reason: string; postgresqlUrl: string }> {
  let problem: string | undefined;
  if (setting !== "sqlite") {
    let probe = postgresProbes.get(postgresqlUrl);
    if (!probe) postgresProbes.set(postgresqlUrl, (probe = probePostgres(postgresqlUrl)));
    problem = await probe;
  }
  const decision = chooseStore(setting, { answers: setting !== "sqlite" && problem === undefined, detail: problem, url: redactUrl(postgresqlUrl) });
  return { ...decision, postgresqlUrl };
}

/**
 * NATS (JetStream) and MongoDB for a test: one call, one stop(). Containers
 * or local processes as DEVSTACK_SERVERS (or `servers`) and the machine
 * decide; see chooseServers. The result's URLs are all a test needs.
 */
export async function startServers(options: ServersOptions = {}): Promise<Servers> {
  const setting = options.servers ?? serversSetting();
  const decision = chooseServers(setting, setting === "local" ? { answers: false } : await dockerEngine());
  const want = { nats: options.want?.nats ?? true, mongodb: options.want?.mongodb ?? true };
  if (decision.choice === "containers") return startContainerServers(options.database ?? DEFAULT_DATABASE, want, decision.reason, options.log);
  return startLocalServers({ ...options, want }, decision.reason);
}

async function startLocalServers(options: ServersOptions & { want: { nats: boolean; mongodb: boolean } }, reason: string): Promise<LocalServers> {
  const temporaryDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), "t2m-servers-")) : undefined;
  const dataDir = options.dataDir ?? temporaryDir ?? "";
  let nats: NatsServer | undefined;
  let ferretDb: FerretDb | undefined;
  let pg: { adminUrl: string; name: string } | undefined;
  let startingNats: Promise<NatsServer> | undefined;
  try {
    let store: StoreInfo = { kind: "external", description: "MongoDB not started here" };
    startingNats = options.want.nats
      ? mkdir(join(dataDir, "nats"), { recursive: true }).then(() => startNatsServer({ dataDir: join(dataDir, "nats"), output: options.output, config: localNatsConfig() }))
      : undefined;
    // Settled here so that a failure of one never leaves the other unstopped.
    const natsResult = startingNats?.then(
      (server) => ((nats = server), undefined),
      (err: unknown) => err,
    );
    if (options.want.mongodb) {
      const where = await resolveStore(options.store ?? storeSetting(), options.postgresqlUrl);
      if (where.choice === "postgresql") {
        pg = { adminUrl: where.postgresqlUrl, name: "" };
        const created = await createStackDatabase(where.postgresqlUrl);
        pg = { adminUrl: where.postgresqlUrl, name: created.name };
        ferretDb = await startFerretDb({ postgresqlUrl: created.url, output: options.output, log: options.log });
        store = {
          kind: "postgresql",
          postgresqlDatabase: created.name,
          description: `FerretDB on PostgreSQL (${where.reason}; database ${created.name} on ${redactUrl(where.postgresqlUrl)}, dropped on stop${
            created.idIndexProblem ? `; without the _id GIN indexes: ${created.idIndexProblem}` : ""
          })`,
        };
      } else {
        const sqliteDir = join(dataDir, "ferretdb");
        ferretDb = await startFerretDb({ dataDir: sqliteDir, output: options.output, log: options.log });
        store = { kind: "sqlite", sqliteDir, description: `FerretDB on SQLite (${where.reason}; ${sqliteDir})` };
      }
    }
    const natsError = await natsResult;
    if (natsError) throw natsError;
    return new LocalServers({
      nats,
      ferretDb,
      natsUrl: nats ? undefined : "",
      mongodbUrl: ferretDb ? undefined : "",
      database: options.database,
      store,
      postgresqlDatabase: pg?.name ? pg : undefined,
      temporaryDir,
      reason,
    });
  } catch (err) {
    await startingNats?.catch(() => undefined);
    await Promise.allSettled([ferretDb?.stop(), nats?.stop()]);
    if (pg?.name) await dropDatabase(pg.adminUrl, pg.name).catch(() => undefined);
    if (temporaryDir) await rm(temporaryDir, { recursive: true, force: true });
    throw err;
  }
}

/** Real MongoDB 7 and NATS 2.11 in containers; testcontainers' reaper removes them if this process dies. */
async function startContainerServers(
  database: string,
  want: { nats: boolean; mongodb: boolean },
  reason: string,
  log: ((message: string) => void) | undefined,
): Promise<Servers> {
  const { GenericContainer, Wait } = await import("testcontainers");
  const { MongoDBContainer } = await import("@testcontainers/mongodb");
  log?.(`starting ${[want.nats && NATS_IMAGE, want.mongodb && MONGODB_IMAGE].filter(Boolean).join(" and ")} in containers (${reason})…`);
  const starting = [
    want.nats
      ? new GenericContainer(NATS_IMAGE)
          .withCopyContentToContainer([{ content: localNatsConfig(), target: "/etc/nats/t2m.conf" }])
          .withCommand(["-c", "/etc/nats/t2m.conf", "-js", "-m", "8222"])
          .withExposedPorts(4222, 8222)
          .withWaitStrategy(Wait.forHttp("/healthz?js-enabled-only=true", 8222))
          .start()
      : undefined,
    want.mongodb ? new MongoDBContainer(MONGODB_IMAGE).start() : undefined,
  ] as const;
  const results = await Promise.allSettled(starting.map((s) => s ?? Promise.resolve(undefined)));
  const [natsResult, mongoResult] = results;
  const started = results.flatMap((r) => (r.status === "fulfilled" && r.value ? [r.value] : []));
  const failure = results.find((r) => r.status === "rejected");
  if (failure) {
    await Promise.allSettled(started.map((c) => c.stop()));
    throw failure.reason;
  }
  const natsContainer = natsResult?.status === "fulfilled" ? natsResult.value : undefined;
  const mongoContainer = mongoResult?.status === "fulfilled" ? (mongoResult.value as Awaited<ReturnType<InstanceType<typeof MongoDBContainer>["start"]>> | undefined) : undefined;
  const natsUrl = natsContainer ? `nats://${natsContainer.getHost()}:${natsContainer.getMappedPort(4222)}` : "";
  // The driver must not look for the replica set's other members by their in-container names.
  const mongodbUrl = mongoContainer
    ? `${mongoUrlWithDatabase(mongoContainer.getConnectionString(), database)}?directConnection=true`
    : "";
  let stopping: Promise<void> | undefined;
  return {
    kind: "containers",
    natsUrl,
    natsMonitorUrl: natsContainer ? `http://${natsContainer.getHost()}:${natsContainer.getMappedPort(8222)}` : undefined,
    natsAdmin: DEVSTACK_NATS_ADMIN,
    mongodbUrl,
    store: { kind: "mongodb", description: `MongoDB ${MONGODB_IMAGE} in a container` },
    description: `containers (${reason}): ${NATS_IMAGE} on ${natsUrl}; ${MONGODB_IMAGE} on ${redactUrl(mongodbUrl)}`,
    stop: () => (stopping ??= Promise.allSettled(started.map((c) => c.stop())).then(() => undefined)),
  };
}
