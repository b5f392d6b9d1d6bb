import { isDuplicateKeyError, type Database, type IndexDefinition } from "@t2m/platform";
import type { Collection } from "mongodb";
import type { LicenceTask, LicenceTaskState, LicenceTaskStore } from "../domain/licence-tasks.js";

export const LICENCE_TASKS_COLLECTION = "licence_tasks";

export const licenceTaskIndexes: IndexDefinition[] = [
  // The queue is read by state (equality, which FerretDB pushes down); MongoDB serves it from this index.
  { key: { state: 1, createdAt: 1 }, options: { name: "state_createdAt" } },
];

type TaskDocument = LicenceTask & { _id: string };

/**
 * licence_tasks: one document per order (`_id` = order id). Inserted once by
 * ProvisionLicence (or a renewal's extension), then replaced once, by _id,
 * by whoever finishes it (the operator's call, or the order giving up). The
 * replace is conditional on WAITING, which narrows a race between those two
 * but is not atomic on FerretDB (read, then replace): the last writer wins.
 */
export class MongoLicenceTaskStore implements LicenceTaskStore {
  private readonly collection: Collection<TaskDocument>;

  constructor(database: Database) {
    this.collection = database.collection(LICENCE_TASKS_COLLECTION);
  }

  static async open(database: Database): Promise<MongoLicenceTaskStore> {
    await database.ensureIndexes(LICENCE_TASKS_COLLECTION, licenceTaskIndexes);
    return new MongoLicenceTaskStore(database);
  }

  async find(orderId: string): Promise<LicenceTask | undefined> {
    const doc = await this.collection.findOne({ _id: orderId });
    return doc ? fromDocument(doc) : undefined;
  }

  async insertOrGet(task: LicenceTask): Promise<LicenceTask> {
    try {
      await this.collection.insertOne({ _id: task.orderId, ...task });
      return task;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const existing = await this.find(task.orderId);
      if (!existing) throw err;
      return existing;
    }
  }

  async finish(task: LicenceTask): Promise<boolean> {
    const result = await this.collection.replaceOne({ _id: task.orderId, state: "WAITING" }, task);
    return result.matchedCount === 1;
  }

  /** Every task in one state (equality on state; the caller sorts and pages). WAITING is the working set. */
  async inState(state: LicenceTaskState): Promise<LicenceTask[]> {
    return (await this.collection.find({ state }).toArray()).map(fromDocument);
  }

  /** When each waiting task was recorded (for the gauges): a projection of the working set. */
  async waitingSince(): Promise<Date[]> {
    const docs = await this.collection.find({ state: "WAITING" }, { projection: { _id: 0, createdAt: 1 } }).toArray();
    return docs.map((d) => d.createdAt);
  }
}

function fromDocument(doc: TaskDocument): LicenceTask {
  const { _id, ...task } = doc;
  return task;
}

/** The same in memory, for unit tests. */
export class MemoryLicenceTaskStore implements LicenceTaskStore {
  readonly tasks = new Map<string, LicenceTask>();

  async find(orderId: string): Promise<LicenceTask | undefined> {
    return this.tasks.get(orderId);
  }

  async insertOrGet(task: LicenceTask): Promise<LicenceTask> {
    const existing = this.tasks.get(task.orderId);
    if (existing) return existing;
    this.tasks.set(task.orderId, task);
    return task;
  }

  async finish(task: LicenceTask): Promise<boolean> {
    if (this.tasks.get(task.orderId)?.state !== "WAITING") return false;
    this.tasks.set(task.orderId, task);
    return true;
  }

  async inState(state: LicenceTaskState): Promise<LicenceTask[]> {
    return [...this.tasks.values()].filter((t) => t.state === state);
  }

  async waitingSince(): Promise<Date[]> {
    return (await this.inState("WAITING")).map((t) => t.createdAt);
  }
}
