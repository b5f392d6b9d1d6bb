import type { Logger } from "pino";

export interface Repeating {
  /** Stops the schedule: none follows the run under way, which the promise waits for (shutdown can close what it uses afterwards). */
  stop(): Promise<void>;
}

/**
 * Runs `task` now (or after `firstDelayMs`), then again `intervalMs` after
 * each run ends: runs never overlap, however slow the store is. A failed run
 * is logged as `failure` and the next one still comes. The timer does not
 * keep the process alive.
 */
export function repeatEvery(task: () => Promise<unknown>, options: { readonly intervalMs: number; readonly firstDelayMs?: number; readonly logger: Logger; readonly failure: string }): Repeating {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const schedule = (delayMs: number) => {
    if (!stopped) timer = setTimeout(tick, delayMs).unref();
  };
  const tick = () => {
    running = task()
      .then(
        () => undefined,
        (err: unknown) => options.logger.warn({ err }, options.failure),
      )
      .finally(() => {
        running = undefined;
        schedule(options.intervalMs);
      });
  };
  if (options.firstDelayMs === undefined) tick();
  else schedule(options.firstDelayMs);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
