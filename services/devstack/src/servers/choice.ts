// Which servers a test gets, and which store FerretDB uses: pure decisions,
// from a setting (an option or an environment variable) and what answers.

/** Where NATS and MongoDB come from: containers (real MongoDB 7, NATS 2.11) where a Docker engine answers, else local processes. */
export type ServersChoice = "auto" | "local" | "containers";
/** What FerretDB keeps its data in when the devstack starts it. */
export type StoreChoice = "auto" | "postgresql" | "sqlite";

const SERVERS: readonly ServersChoice[] = ["auto", "local", "containers"];
const STORES: readonly StoreChoice[] = ["auto", "postgresql", "sqlite"];

/** DEVSTACK_SERVERS, checked; "auto" when unset or empty. */
export function serversSetting(env: Record<string, string | undefined> = process.env): ServersChoice {
  const value = env.DEVSTACK_SERVERS?.trim() || "auto";
  if (!(SERVERS as readonly string[]).includes(value)) throw new Error(`DEVSTACK_SERVERS=${value}: expected one of ${SERVERS.join(", ")}`);
  return value as ServersChoice;
}

/** DEVSTACK_STORE, checked; "auto" when unset or empty. */
export function storeSetting(env: Record<string, string | undefined> = process.env): StoreChoice {
  const value = env.DEVSTACK_STORE?.trim() || "auto";
  if (!(STORES as readonly string[]).includes(value)) throw new Error(`DEVSTACK_STORE=${value}: expected one of ${STORES.join(", ")}`);
  return value as StoreChoice;
}

export interface Decision<T> {
  readonly choice: T;
  /** Why, in a few words, for logs and banners. */
  readonly reason: string;
}

/**
 * containers when asked for (an error if no Docker engine answers) or, on
 * "auto", when one answers; local processes otherwise.
 */
export function chooseServers(setting: ServersChoice, dockerEngine: { readonly answers: boolean; readonly detail?: string }): Decision<"local" | "containers"> {
  if (setting === "local") return { choice: "local", reason: "asked for local servers" };
  if (dockerEngine.answers) {
    return { choice: "containers", reason: setting === "containers" ? "asked for containers" : "a Docker engine answers" };
  }
  if (setting === "containers") {
    throw new Error(
      `containers were asked for (DEVSTACK_SERVERS=containers), but no Docker engine answers${dockerEngine.detail ? ` (${dockerEngine.detail})` : ""}. ` +
        "Start Docker, or use DEVSTACK_SERVERS=local.",
    );
  }
  return { choice: "local", reason: "no Docker engine answers" };
}

/**
 * PostgreSQL when asked for (an error if it does not answer) or, on "auto",
 * when it answers; SQLite otherwise.
 */
export function chooseStore(setting: StoreChoice, postgresql: { readonly answers: boolean; readonly detail?: string; readonly url: string }): Decision<"postgresql" | "sqlite"> {
  if (setting === "sqlite") return { choice: "sqlite", reason: "asked for SQLite" };
  if (postgresql.answers) return { choice: "postgresql", reason: setting === "postgresql" ? "asked for PostgreSQL" : "PostgreSQL answers" };
  if (setting === "postgresql") {
    throw new Error(`FerretDB on PostgreSQL was asked for, but ${postgresql.url} does not answer${postgresql.detail ? ` (${postgresql.detail})` : ""}.`);
  }
  return { choice: "sqlite", reason: "no PostgreSQL answers" };
}
