/**
 * Requests in flight by (partner, Idempotency-Key). A request whose key is
 * in flight here waits for that request to finish (up to a limit) and then
 * goes on: by then the first one's order is stored, or it failed without
 * storing anything, and fulfilment's unique insert decides either way.
 * Only a request that waited in vain is told 409 with Retry-After (the IETF
 * draft's "still in flight"). Across gateway replicas, the store alone
 * decides: the first insert wins and the others replay it.
 */
export class InFlightKeys {
  private readonly running = new Map<string, Promise<unknown>>();

  /** Runs `work` for the key: at once when nothing runs with it, after the running request otherwise; "busy" when that took longer than waitMs. */
  async run<T>(key: string, waitMs: number, work: () => Promise<T>): Promise<{ readonly busy: false; readonly value: T } | { readonly busy: true }> {
    const current = this.running.get(key);
    if (current) {
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        current.then(
          () => true,
          () => true,
        ),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
      ]);
      clearTimeout(timer);
      if (!finished) return { busy: true };
      return { busy: false, value: await work() };
    }
    const promise = work();
    this.running.set(key, promise);
    try {
      return { busy: false, value: await promise };
    } finally {
      if (this.running.get(key) === promise) this.running.delete(key);
    }
  }

  get size(): number {
    return this.running.size;
  }
}
