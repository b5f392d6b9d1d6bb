/**
 * Group commit: items submitted while a batch is being written wait and go
 * together in the next one. An idle system writes each item at once (no
 * timer, no added latency); a busy one writes fewer, larger batches, which is
 * what makes a store such as FerretDB keep up.
 */
export class GroupCommit<T, R> {
  private queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;

  constructor(
    private readonly options: {
      /** Writes one batch; returns one result per item, in order. */
      readonly write: (items: readonly T[]) => Promise<readonly R[]>;
      /** Largest batch; more waiting items go in the following batch. */
      readonly maxBatch: number;
      /** Batches written at once (default 1). */
      readonly maxInFlight?: number;
      /** Called after each batch, e.g. for a histogram of batch sizes. */
      readonly onBatch?: (size: number, durationMs: number) => void;
    },
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  /** Items waiting for a batch. */
  get waiting(): number {
    return this.queue.length;
  }

  private pump(): void {
    while (this.inFlight < (this.options.maxInFlight ?? 1) && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      const started = performance.now();
      void this.options
        .write(batch.map((b) => b.item))
        .then(
          (results) => {
            if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
            batch.forEach((b, i) => b.resolve(results[i]!));
          },
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .catch((err: unknown) => batch.forEach((b) => b.reject(err)))
        .finally(() => {
          this.inFlight -= 1;
          this.options.onBatch?.(batch.length, performance.now() - started);
          this.pump();
        });
    }
  }
}
