import { MongoClient } from "mongodb";

export type MongoProbe =
  | { readonly kind: "mongodb"; readonly ok: boolean }
  | { readonly kind: "closed"; readonly detail: string }
  | { readonly kind: "other"; readonly detail: string };

/**
 * Tells "nothing listens" from "something that is not MongoDB listens" from
 * "a MongoDB-wire server answers ping", within the timeout.
 */
export async function probeMongo(host: string, port: number, timeoutMs = 2_000): Promise<MongoProbe> {
  const client = new MongoClient(`mongodb://${host}:${port}/?directConnection=true`, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
  });
  try {
    const reply = await client.db("admin").command({ ping: 1 });
    return { kind: "mongodb", ok: reply.ok === 1 };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return /ECONNREFUSED/.test(detail) ? { kind: "closed", detail: "ECONNREFUSED" } : { kind: "other", detail };
  } finally {
    await client.close().catch(() => undefined);
  }
}
