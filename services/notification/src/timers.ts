/**
 * Prompt retries from this process: one timer per message, at its due time.
 * Timers are only a shortcut; what is due lives in MongoDB, and the
 * webhook-retry job sends whatever a stopped process left behind.
 */
export class DueTimers {
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; dueAt: number }>();
  private stopped = false;

  constructor(private readonly fire: (webhookId: string) => Promise<unknown>) {}

  at(webhookId: string, dueAt: Date): void {
    if (this.stopped) return;
    const existing = this.timers.get(webhookId);
    if (existing && existing.dueAt <= dueAt.getTime()) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(
      () => {
        this.timers.delete(webhookId);
        void this.fire(webhookId);
      },
      Math.max(0, dueAt.getTime() - Date.now()),
    );
    this.timers.set(webhookId, { timer, dueAt: dueAt.getTime() });
  }

  get size(): number {
    return this.timers.size;
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
