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

  /**
   * Creates the indexes a collection lacks, by name, one call each; existing
   * ones are left as they are. FerretDB 1.24 drops the connection (a
   * server-side panic) when one createIndexes call lists two or more indexes
   * that already exist, so existing ones are never sent again.
   */
  async ensureIndexes(collection: string, indexes: readonly IndexDefinition[]): Promise<void> {
    const existing = await this.indexNames(collection);
    for (const index of indexes) {
      if (!existing.has(index.options.name)) await this.db.collection(collection).createIndex(index.key, index.options);
    }
  }

  private async indexNames(collection: string): Promise<Set<string>> {
    try {
      const indexes = await this.db.collection(collection).listIndexes().toArray();
      return new Set(indexes.map((i) => String(i.name)));
    } catch (err) {
      // 26 NamespaceNotFound: the collection does not exist yet, so it has no indexes.
      if (err instanceof MongoServerError && err.code === 26) return new Set();
      throw err;
    }
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
