// `npm start`: the whole platform on this machine, with the platform's
// default ports, reusing NATS and a MongoDB-wire server when they already run.
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createLogger, Database } from "@t2m/platform";
import { SandboxDefaults } from "@t2m/topology";
import { renderBanner } from "./banner.js";
import {
  DEFAULT_DATABASE,
  DEFAULT_SERVICE_PORTS,
  DEFAULT_MONGODB_LISTEN,
  DEFAULT_NATS_URL,
  hostAndPort,
  isLoopback,
  mongoDatabaseName,
  mongoUrlWithDatabase,
  paths,
  redactUrl,
  userOverrides,
} from "./config.js";
import { indentLines } from "./lines.js";
import { formatLogLine, wantsColour } from "./log-format.js";
import { createConsoleSink } from "./output.js";
import { describeExit, killAllChildren, ProcessError, SERVICE_NAMES, type ExitInfo, type ManagedProcess } from "./processes.js";
import { storeSetting } from "./servers/choice.js";
import { startFerretDb, type FerretDb } from "./servers/ferretdb.js";
import { probeMongo } from "./servers/mongo-probe.js";
import { probeNats, startNatsServer, type NatsServer } from "./servers/nats.js";
import { localNatsConfig, sandboxNatsCredentials } from "./servers/nats-accounts.js";
import { LocalServers, resolveStore, type StoreInfo } from "./servers/start-servers.js";
import { assertBuilt, assertPortsFree, startStack, type Stack, type StackProcessName } from "./stack.js";
import type { SupervisionEvent } from "./supervisor.js";
import { startJobScheduler, type JobScheduler } from "./jobs.js";

const STOP_TIMEOUT_MS = 12_000;

const env = process.env;
const colour = wantsColour(process.stdout);
const sink = createConsoleSink({ colour });
const say = (message: string) => message.split("\n").forEach((line) => sink("devstack", line, "stdout"));
/** A process's last lines, readable. */
const showLines = (lines: readonly string[]) => indentLines(lines.map((l) => formatLogLine(l, colour)));

/** A failure the user can act on. */
class UserError extends Error {}

const controller = new AbortController();
let nats: NatsServer | undefined;
let ferretDb: FerretDb | undefined;
let stack: Stack | undefined;
let jobs: JobScheduler | undefined;
let stopping: Promise<never> | undefined;

async function stopEverything(): Promise<void> {
  await jobs?.stop();
  // The abort makes a startStack under way stop what it started and reject.
  await starting?.catch(() => undefined);
  await stack?.stop();
  // Once handed to the stack, NATS and FerretDB are stopped by it (stopping them again is a no-op).
  await (servers?.stop() ?? Promise.all([ferretDb?.stop(), nats?.stop()]));
}
let servers: LocalServers | undefined;
let starting: Promise<Stack> | undefined;

function shutdown(code: number): Promise<never> {
  stopping ??= (async () => {
    controller.abort();
    await stopEverything().catch((err: unknown) => say(`error while stopping: ${String(err)}`));
    say(code === 0 ? "stopped" : "stopped after an error");
    process.exit(code);
  })();
  return stopping;
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    say(`${signal} again: killing everything now`);
    killAllChildren("SIGKILL");
    setTimeout(() => process.exit(130), 200).unref();
    return;
  }
  say(`${signal}: stopping (again to force)…`);
  void shutdown(0);
}

/** Before the stack exists (NATS or FerretDB while the rest starts): a death ends the start. */
function onEarlyExit(name: string, exit: ExitInfo, lastLines: readonly string[]): void {
  if (stopping || servers) return;
  say(`${name} ${describeExit(exit)} unexpectedly. Its last lines:\n${showLines(lastLines.slice(-25))}`);
  void shutdown(1);
}

function watch(name: string, proc: ManagedProcess): void {
  void proc.exited.then((exit) => onEarlyExit(name, exit, proc.lastLines()));
}

/** Once running, the stack restarts a process that dies on its own (with backoff); say so. */
function onUnexpectedExit(name: StackProcessName, exit: ExitInfo, lastLines: readonly string[]): void {
  if (stopping) return;
  say(`${name} ${describeExit(exit)} unexpectedly. Its last lines:\n${showLines(lastLines.slice(-25))}`);
}

function onSupervision(event: SupervisionEvent): void {
  if (stopping) return;
  if (event.type === "restarting") say(`restarting ${event.name} in ${formatDelay(event.delayMs)} (restart #${event.attempt})`);
  else if (event.type === "restarted") say(`${event.name} is back (pid ${event.pid ?? "?"}, restart #${event.attempt})`);
  else {
    const error = event.error;
    const detail = error instanceof ProcessError ? `${error.summary}\nIts last lines:\n${showLines(error.lastLines.slice(-15))}` : error.message;
    say(`${event.name} did not come back: ${detail}`);
  }
}

const formatDelay = (ms: number) => (ms < 1_000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`);

function checkAborted(): void {
  if (controller.signal.aborted) throw controller.signal.reason;
}

/**
 * The services connect to NATS as their own users, each limited to its own
 * subjects, so npm start needs a NATS that has those users: by default it
 * runs its own nats-server with them (localNatsConfig), on 4222 when that is
 * free. A NATS already running without them (like the machine's own on
 * 4222) cannot be reused. NATS_URL names one that has them
 * (`npm run nats:config -- --local` prints its configuration).
 */
async function resolveNats(): Promise<{ url: string; note: string }> {
  const userUrl = env.NATS_URL || undefined;
  const url = userUrl ?? DEFAULT_NATS_URL;
  const address = hostAndPort(url, 4222);
  if (!address) throw new UserError(`NATS_URL=${redactUrl(url)}: expected one server such as nats://127.0.0.1:4222`);
  if (userUrl) {
    const probe = await probeNats(address.host, address.port, 2_000, sandboxNatsCredentials("fulfilment"));
    if (probe.kind === "nats" && probe.jetstream) return { url, note: `reused (nats-server ${probe.version}, with the platform's users)` };
    if (probe.kind === "nats") {
      throw new UserError(`NATS at ${redactUrl(url)} answers but has no JetStream: start it with -js, or unset NATS_URL to let npm start run one.`);
    }
    if (probe.kind === "other" && /authori[sz]ation/i.test(probe.detail)) {
      throw new UserError(
        `NATS at ${redactUrl(url)} does not know the platform's users (${probe.detail}): start it with the configuration ` +
          "`npm run nats:config -- --local` prints, or unset NATS_URL to let npm start run one.",
      );
    }
    if (probe.kind === "other") throw new UserError(`${address.host}:${address.port} (NATS_URL) does not answer as NATS: ${probe.detail}`);
    if (!isLoopback(address.host)) throw new UserError(`NATS at ${redactUrl(url)} does not answer (${probe.detail}).`);
  }
  const probe = await probeNats(address.host, address.port);

  const dataDir = join(paths().dataDir, "nats");
  await mkdir(dataDir, { recursive: true });
  const reusePort = probe.kind === "closed";
  if (!reusePort) {
    say(
      `${address.host}:${address.port} is in use by ${probe.kind === "nats" ? "a NATS without the platform's users (it cannot be reused: every service connects as its own user)" : "something that is not NATS"}; starting NATS on a free port`,
    );
  }
  nats = await startNatsServer({ dataDir, port: reusePort ? address.port : -1, output: sink, config: localNatsConfig() });
  watch("nats", nats.process);
  return { url: nats.url, note: `started here, data in ${dataDir}` };
}

async function mongoAnswers(url: string): Promise<string | undefined> {
  const address = hostAndPort(url, 27017);
  if (address && !/[?&](tls|ssl)=true/i.test(url)) {
    const probe = await probeMongo(address.host, address.port);
    return probe.kind === "mongodb" ? undefined : probe.detail;
  }
  try {
    const db = await Database.connect(url, createLogger("devstack", "silent"), "devstack");
    await db.db.command({ ping: 1 });
    await db.close();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * MONGODB_URL if it answers; else whatever answers MongoDB on its address
 * (127.0.0.1:27017 by default); else FerretDB started there, on PostgreSQL
 * when one answers (see resolveStore), on SQLite in .data/ferretdb otherwise.
 */
async function resolveMongo(): Promise<{ url: string; note: string; store?: StoreInfo }> {
  const userUrl = env.MONGODB_URL || undefined;
  let database = DEFAULT_DATABASE;
  let listen = DEFAULT_MONGODB_LISTEN;
  if (userUrl) {
    const problem = await mongoAnswers(userUrl);
    const named = mongoDatabaseName(userUrl);
    if (problem === undefined) {
      return named
        ? { url: userUrl, note: "reused (MONGODB_URL)" }
        : { url: mongoUrlWithDatabase(userUrl, DEFAULT_DATABASE), note: `reused (MONGODB_URL, database ${DEFAULT_DATABASE})` };
    }
    // A loopback address that nothing answers on: start FerretDB right there, as for NATS_URL.
    const address = hostAndPort(userUrl, 27017);
    if (address && isLoopback(address.host) && /ECONNREFUSED/.test(problem)) listen = `${address.host}:${address.port}`;
    say(`MONGODB_URL=${redactUrl(userUrl)} does not answer (${problem}); starting FerretDB on ${listen} instead`);
    if (named && /^[A-Za-z0-9_-]+$/.test(named)) database = named;
  }
  const [host, port] = listen.split(":") as [string, string];
  const probe = await probeMongo(host, Number(port));
  if (probe.kind === "mongodb") {
    return {
      url: `mongodb://${listen}/${database}`,
      note: "reused: something MongoDB-compatible already answers there (a FerretDB left from an earlier run?)",
    };
  }
  if (probe.kind === "other") {
    throw new UserError(
      `${listen} is in use by something that does not answer the MongoDB protocol (${probe.detail}). ` +
        "Stop it, or set MONGODB_URL to a MongoDB you want to use.",
    );
  }
  const where = await resolveStore(storeSetting(env), env.DEVSTACK_POSTGRESQL_URL || undefined);
  if (where.choice === "postgresql") {
    ferretDb = await startFerretDb({ postgresqlUrl: where.postgresqlUrl, listen, output: sink, log: say });
    watch("ferretdb", ferretDb.process);
    const description = `FerretDB on PostgreSQL (${redactUrl(where.postgresqlUrl)}, schema ${database})`;
    return {
      url: ferretDb.databaseUrl(database),
      note: `FerretDB started here on PostgreSQL: ${redactUrl(where.postgresqlUrl)}`,
      store: { kind: "postgresql", description },
    };
  }
  const dataDir = join(paths().dataDir, "ferretdb");
  ferretDb = await startFerretDb({ dataDir, listen, output: sink, log: say });
  watch("ferretdb", ferretDb.process);
  return {
    url: ferretDb.databaseUrl(database),
    note: `FerretDB started here on SQLite (${where.reason}), data in ${dataDir}`,
    store: { kind: "sqlite", sqliteDir: dataDir, description: `FerretDB on SQLite (${dataDir})` },
  };
}

async function main(): Promise<void> {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
  // `npm start | head`: once nobody reads the output, stop everything.
  process.stdout.on("error", () => void shutdown(1));
  process.on("uncaughtException", (err) => {
    process.stderr.write(`devstack: unexpected error: ${err.stack ?? err.message}\n`);
    void shutdown(1);
  });
  const started = Date.now();
  assertBuilt();
  // Before starting anything: an older stack still holding the ports is the usual reason a start fails.
  await assertPortsFree(SERVICE_NAMES.map((name) => ({ name, port: DEFAULT_SERVICE_PORTS[name] })));

  const natsInfo = await resolveNats();
  say(`NATS: ${natsInfo.url} (${natsInfo.note})`);
  checkAborted();
  const mongo = await resolveMongo();
  say(`MongoDB: ${redactUrl(mongo.url)} (${mongo.note})`);
  checkAborted();

  const overrides = userOverrides(env);
  say("starting the platform's processes…");
  // The stack owns NATS and FerretDB from here: it restarts them too if they die, on the same port with the same data.
  servers = new LocalServers({
    nats,
    natsUrl: nats ? undefined : natsInfo.url,
    ferretDb,
    mongodbUrl: ferretDb ? undefined : mongo.url,
    database: mongoDatabaseName(mongo.url),
    store: mongo.store ?? { kind: "external", description: mongo.note },
  });
  starting = startStack({
    ports: "default",
    servers,
    // Kept between runs with the rest of .data, so Zoho ids never repeat (ZOHO_SANDBOX_STATE_FILE overrides it).
    zohoSandboxStateFile: join(paths().dataDir, "zoho-sandbox", "state.json"),
    env: overrides,
    logLevel: env.LOG_LEVEL || "info",
    output: sink,
    stopTimeoutMs: STOP_TIMEOUT_MS,
    signal: controller.signal,
    supervise: true,
    onUnexpectedExit,
    onSupervision,
    log: say,
  });
  stack = await starting;
  checkAborted();

  const inboxWebhookUrl = `${stack.urls["webhook-inbox"]}/webhooks/t2mobile`;
  const suffix = randomBytes(3).toString("hex").toUpperCase();
  process.stdout.write(
    renderBanner(
      {
        urls: stack.urls,
        nats: natsInfo,
        mongodb: { url: redactUrl(mongo.url), note: mongo.note },
        sandboxApiKey: overrides.T2MOBILE_API_KEY === undefined ? SandboxDefaults.t2mobileApiKey : undefined,
        webhookUrl: stack.webhookUrl === inboxWebhookUrl ? inboxWebhookUrl : "(your T2MOBILE_WEBHOOK_URL)",
        webhooksToInbox: stack.webhookUrl === inboxWebhookUrl,
        orderId: `T2M-DEMO-${suffix}`,
        idempotencyKey: `demo-${suffix.toLowerCase()}-${Date.now().toString(36)}`,
      },
      colour,
    ) + "\n",
  );
  say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // The CronJobs' commands, on their schedules (services/devstack/src/jobs.ts).
  jobs = startJobScheduler({ envFor: (service) => stack?.env[service as keyof Stack["env"]] ?? {}, output: sink, log: say });
}

main().catch((err: unknown) => {
  if (stopping) return;
  if (controller.signal.aborted) return void shutdown(0);
  // Errors here are written for people (missing binary, busy port, a process that did not get ready).
  const message =
    err instanceof ProcessError
      ? `${err.summary}\nLast output of ${err.processName}:\n${showLines(err.lastLines.slice(-25))}`
      : err instanceof Error
        ? env.DEVSTACK_DEBUG
          ? (err.stack ?? err.message)
          : err.message
        : String(err);
  say(`could not start: ${message}`);
  void shutdown(1);
});
