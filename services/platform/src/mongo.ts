import {
  MongoClient,
  MongoServerError,
  type Collection,
  type CreateIndexesOptions,
  type Db,
  type Document,
  type IndexSpecification,
} from "mongodb";
import type { Logger } from "pino";
import type { ReadinessCheck } from "./http-server.js";

/**
 * An index a collection needs. Code stays inside what both MongoDB and
 * FerretDB 1.24 support: no TTL or partial indexes.
 */
export interface IndexDefinition {
  readonly key: IndexSpecification;
  readonly options: CreateIndexesOptions & { name: string };
}

export class Database {
  private constructor(
    readonly client: MongoClient,
    readonly db: Db,
  ) {}

  /** Connects to the database named in the URL's path (e.g. mongodb://host/t2mobile). */
  static async connect(url: string, logger: Logger, appName: string): Promise<Database> {
    const client = new MongoClient(url, {
      appName,
      serverSelectionTimeoutMS: 5_000,
      maxPoolSize: 20,
    });
    await client.connect();
    const db = client.db();
    logger.info({ database: db.databaseName }, "connected to MongoDB");
    return new Database(client, db);
  }

  collection<T extends Document>(name: string): Collection<T> {
    return this.db.collection<T>(name);
  }

  /** Creates the indexes a collection needs; existing ones are left as they are. */
  async ensureIndexes(collection: string, indexes: readonly IndexDefinition[]): Promise<void> {
    if (indexes.length === 0) return;
    await this.db.collection(collection).createIndexes(indexes.map((i) => ({ key: i.key, ...i.options })) as never);
  }

  readiness(): ReadinessCheck {
    return { name: "mongodb", check: async () => void (await this.db.command({ ping: 1 })) };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** True for a unique-index violation (E11000), which both MongoDB and FerretDB report as 11000. */
export function isDuplicateKeyError(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}
