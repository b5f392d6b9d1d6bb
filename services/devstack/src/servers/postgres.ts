// FerretDB's PostgreSQL handler keeps one PostgreSQL schema per MongoDB
// database. A test stack gets a PostgreSQL database of its own (so its
// "t2mobile" never meets another's), dropped when the stack stops; databases
// left by runs that were killed are dropped by the next stack that starts.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import postgres from "postgres";
import { processExists } from "../processes.js";

/** What `npm start` and stacks try when nothing else is said (the machine's own server, trust auth). */
export const DEFAULT_POSTGRESQL_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/** Prefix of the databases stacks create: t2m_stack_<pid>_<time, base 36>_<random>. */
export const STACK_DATABASE_PREFIX = "t2m_stack_";

/** Leftovers older than this are dropped even if their pid is in use (by then it is another process). */
const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

const client = (url: string, timeoutSeconds = 5) =>
  postgres(url, { max: 1, connect_timeout: timeoutSeconds, idle_timeout: 1, onnotice: () => undefined, prepare: false });

const describeError = (err: unknown) => (err instanceof Error ? err.message || err.name : String(err));

/** Undefined when `url` answers a query; otherwise what went wrong. */
export async function probePostgres(url: string, timeoutMs = 2_000): Promise<string | undefined> {
  const sql = client(url, Math.max(1, Math.ceil(timeoutMs / 1000)));
  try {
    await Promise.race([
      sql`select 1`,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    return undefined;
  } catch (err) {
    return describeError(err);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}

/** A name for a new stack database, e.g. t2m_stack_1234_lz4k2a_9f3c. */
export function stackDatabaseName(pid = process.pid, now = Date.now()): string {
  return `${STACK_DATABASE_PREFIX}${pid}_${now.toString(36)}_${randomBytes(2).toString("hex")}`;
}

/** Parses a stack database name; undefined for any other name. */
export function parseStackDatabaseName(name: string): { pid: number; createdAt: number } | undefined {
  const match = /^t2m_stack_(\d+)_([0-9a-z]+)_[0-9a-f]+$/.exec(name);
  return match ? { pid: Number(match[1]), createdAt: parseInt(match[2] ?? "", 36) } : undefined;
}

/** Stack databases whose creator is gone (or that are older than a day). */
export function staleStackDatabases(names: readonly string[], isAlive: (pid: number) => boolean = processExists, now = Date.now()): string[] {
  return names.filter((name) => {
    const parsed = parseStackDatabaseName(name);
    return parsed !== undefined && (!isAlive(parsed.pid) || now - parsed.createdAt > STALE_AFTER_MS);
  });
}

/** `url` with another database: postgres://u@h:5432/postgres -> postgres://u@h:5432/<database> (query kept). */
export function postgresUrlWithDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/** Drops the stack databases that runs killed before they could (see staleStackDatabases); returns their names. */
export async function dropStaleStackDatabases(adminUrl: string): Promise<string[]> {
  const sql = client(adminUrl);
  try {
    const rows = await sql<{ datname: string }[]>`select datname from pg_database where datname like ${`${STACK_DATABASE_PREFIX}%`}`;
    const stale = staleStackDatabases(rows.map((r) => r.datname));
    for (const name of stale) await sql.unsafe(`drop database if exists ${quote(name)} with (force)`);
    return stale;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}

/** Creates a fresh stack database and returns its name and URL (first sweeping leftovers of killed runs, once per process). */
export async function createStackDatabase(adminUrl: string): Promise<{ name: string; url: string; idIndexProblem?: string }> {
  sweeps.set(adminUrl, sweeps.get(adminUrl) ?? dropStaleStackDatabases(adminUrl).catch(() => []));
  await sweeps.get(adminUrl);
  const name = stackDatabaseName();
  const sql = client(adminUrl);
  try {
    await sql.unsafe(`create database ${quote(name)}`);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
  const url = postgresUrlWithDatabase(adminUrl, name);
  // Without a superuser (event triggers need one) the stack still runs, its _id lookups unindexed: say so, do not fail.
  const idIndexProblem = await installFerretDbIdIndexes(url).then(
    () => undefined,
    (err: unknown) => describeError(err),
  );
  return { name, url, ...(idIndexProblem ? { idIndexProblem } : {}) };
}

/** sql/ferretdb-id-index.sql: the file production applies to FerretDB's database too (README, "The store"). */
export const FERRETDB_ID_INDEX_SQL = new URL("../../sql/ferretdb-id-index.sql", import.meta.url);

/**
 * Gives every collection FerretDB makes in this database a GIN index on its
 * _id, so FerretDB's _id lookups (jsonb containment) are index scans, not
 * scans of the whole collection (see the SQL file). Idempotent.
 */
export async function installFerretDbIdIndexes(url: string): Promise<void> {
  const sql = client(url);
  try {
    await sql.unsafe(await readFile(FERRETDB_ID_INDEX_SQL, "utf8")).simple();
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}
const sweeps = new Map<string, Promise<unknown>>();

/** Drops a database, closing whatever connections are left (PostgreSQL 13+). */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const sql = client(adminUrl);
  try {
    await sql.unsafe(`drop database if exists ${quote(name)} with (force)`);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}

/** The names of the databases on the server whose names start with `prefix` (for tests and diagnostics). */
export async function listDatabases(adminUrl: string, prefix = STACK_DATABASE_PREFIX): Promise<string[]> {
  const sql = client(adminUrl);
  try {
    const rows = await sql<{ datname: string }[]>`select datname from pg_database where datname like ${`${prefix}%`}`;
    return rows.map((r) => r.datname);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}
