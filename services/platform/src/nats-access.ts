import type { ConsumerDefinition, StreamDefinition } from "./nats.js";

/**
 * What one NATS user (one service) may do, as subjects nats-server's
 * `permissions` take. Derived from what the service declares, consumes,
 * publishes and stores, so the server's accounts follow the code.
 */
export interface NatsAccessNeeds {
  /** The NATS user name (the service's name). */
  readonly user: string;
  /** Streams it creates or updates on start (declare). */
  readonly streams: readonly StreamDefinition[];
  /** Durable consumers it creates and pulls from. */
  readonly consumers: readonly ConsumerDefinition[];
  /** Subjects it publishes events to (through JetStream). */
  readonly publishes: readonly string[];
  /** KV buckets it opens, reads and writes. */
  readonly kvBuckets: readonly string[];
}

export interface NatsPermissions {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

/** Each service's replies arrive on its own inbox prefix, so no service can listen to another's. */
export const natsInboxPrefix = (user: string): string => `_INBOX_${user.replace(/[^A-Za-z0-9_-]/g, "_")}`;

/**
 * The publish and subscribe allow-lists for a service (nats-server 2.9+ and
 * @nats-io/jetstream 3.x's JetStream API subjects). Everything else is denied:
 * no service can publish another's events, read another's consumer, or
 * change a stream it does not declare.
 */
export function natsPermissions(needs: NatsAccessNeeds): NatsPermissions {
  const api = "$JS.API";
  const publish = new Set<string>([`${api}.INFO`]);
  for (const stream of needs.streams) {
    for (const op of ["INFO", "CREATE", "UPDATE"]) publish.add(`${api}.STREAM.${op}.${stream.name}`);
  }
  for (const c of needs.consumers) {
    publish.add(`${api}.STREAM.INFO.${c.stream}`);
    publish.add(`${api}.CONSUMER.INFO.${c.stream}.${c.durableName}`);
    // Create or update: the filtered form (2.9+), the plain one and the legacy durable one.
    publish.add(`${api}.CONSUMER.CREATE.${c.stream}.${c.durableName}`);
    publish.add(`${api}.CONSUMER.CREATE.${c.stream}.${c.durableName}.>`);
    publish.add(`${api}.CONSUMER.DURABLE.CREATE.${c.stream}.${c.durableName}`);
    publish.add(`${api}.CONSUMER.MSG.NEXT.${c.stream}.${c.durableName}`);
    // Acks, naks, terms and heartbeats of its own deliveries.
    publish.add(`$JS.ACK.${c.stream}.${c.durableName}.>`);
    // Where its consumer stands (the next message on its filter).
    publish.add(`${api}.DIRECT.GET.${c.stream}`);
    publish.add(`${api}.DIRECT.GET.${c.stream}.>`);
  }
  for (const subject of needs.publishes) publish.add(subject);
  for (const bucket of needs.kvBuckets) {
    const stream = `KV_${bucket}`;
    for (const op of ["INFO", "CREATE", "UPDATE"]) publish.add(`${api}.STREAM.${op}.${stream}`);
    publish.add(`${api}.STREAM.MSG.GET.${stream}`);
    publish.add(`${api}.DIRECT.GET.${stream}`);
    publish.add(`${api}.DIRECT.GET.${stream}.>`);
    publish.add(`$KV.${bucket}.>`);
  }
  return { publish: [...publish], subscribe: [`${natsInboxPrefix(needs.user)}.>`] };
}

/** A nats-server `authorization { users = [...] }` entry for one user, its password read from an environment variable or given. */
export interface NatsUserEntry {
  readonly user: string;
  /** A literal password, or `$VARIABLE` for nats-server to read from its environment. */
  readonly password: string;
  readonly permissions: NatsPermissions;
}

const quote = (value: string) => JSON.stringify(value);

/** nats-server configuration text: an authorization block with one user per service (and no anonymous access). */
export function natsAuthorizationConfig(users: readonly NatsUserEntry[]): string {
  const lines = ["authorization {", "  users = ["];
  for (const u of users) {
    const password = u.password.startsWith("$") ? u.password : quote(u.password);
    lines.push("    {");
    lines.push(`      user: ${quote(u.user)}`);
    lines.push(`      password: ${password}`);
    lines.push("      permissions: {");
    lines.push(`        publish: { allow: [${u.permissions.publish.map(quote).join(", ")}] }`);
    lines.push(`        subscribe: { allow: [${u.permissions.subscribe.map(quote).join(", ")}] }`);
    lines.push("      }");
    lines.push("    }");
  }
  lines.push("  ]", "}");
  return lines.join("\n") + "\n";
}
