import { MongoBulkWriteError, type AnyBulkWriteOperation, type Collection, type Document } from "mongodb";
import { GroupCommit } from "./group-commit.js";

/** What one write of a batch came to. */
export type WriteOutcome = "ok" | "duplicate";

/**
 * Group-committed writes to one collection: inserts, updates, replaces and
 * deletes submitted while a batch is being written go together in the next
 * one, as a single unordered bulkWrite. An idle process writes each at once;
 * a busy one sends few round trips, which is what lets FerretDB keep up.
 * A duplicate-key insert resolves "duplicate" (a lost claim), any other
 * write error rejects that write only.
 */
export class BulkWriter<T extends Document> {
  private readonly commit: GroupCommit<AnyBulkWriteOperation<T>, WriteOutcome | Error>;

  constructor(
    private readonly collection: Collection<T>,
    options: { maxBatch?: number; maxInFlight?: number } = {},
  ) {
    this.commit = new GroupCommit({
      maxBatch: options.maxBatch ?? 256,
      maxInFlight: options.maxInFlight ?? 2,
      write: (ops) => this.write(ops),
    });
  }

  async run(op: AnyBulkWriteOperation<T>): Promise<WriteOutcome> {
    const outcome = await this.commit.submit(op);
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }

  insert(doc: T): Promise<WriteOutcome> {
    return this.run({ insertOne: { document: doc as never } });
  }

  private async write(ops: readonly AnyBulkWriteOperation<T>[]): Promise<Array<WriteOutcome | Error>> {
    const outcomes: Array<WriteOutcome | Error> = ops.map(() => "ok");
    try {
      await this.collection.bulkWrite([...ops], { ordered: false });
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError)) throw err;
      const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      for (const writeError of writeErrors) {
        outcomes[writeError.index] = writeError.code === 11000 ? "duplicate" : new Error(`write failed (code ${writeError.code}): ${writeError.errmsg}`);
      }
    }
    return outcomes;
  }
}
