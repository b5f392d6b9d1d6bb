// The restart policy of a supervised stack, as Kubernetes applies it to a
// pod's containers: a process that dies on its own is started again after a
// delay that doubles with each consecutive crash, up to a ceiling, and starts
// from the bottom again once the process has stayed up for a while.
import type { ExitInfo } from "./processes.js";

export interface RestartPolicy {
  /** Delay before the first restart after a crash; 1 s. */
  readonly initialDelayMs: number;
  /** Ceiling of the doubling delay; 30 s. */
  readonly maxDelayMs: number;
  /** A process that stayed ready at least this long counts as healthy again: its next crash waits initialDelayMs; 60 s. */
  readonly stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 1_000, maxDelayMs: 30_000, stableAfterMs: 60_000 };

/** The delay before restart number `consecutiveCrashes` (1 for the first crash in a row). */
export function restartDelayMs(consecutiveCrashes: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): number {
  const exponent = Math.max(0, consecutiveCrashes - 1);
  // 2 ** 31 is plenty and keeps the arithmetic finite.
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(exponent, 31));
}

/**
 * How many crashes in a row this one makes: 1 when the process had been
 * ready for at least stableAfterMs (or never crashed before), one more than
 * before otherwise (including a start that never got ready).
 */
export function consecutiveCrashes(previous: number, readyForMs: number | undefined, policy: RestartPolicy = DEFAULT_RESTART_POLICY): number {
  if (readyForMs !== undefined && readyForMs >= policy.stableAfterMs) return 1;
  return previous + 1;
}

/** Fills in a partial policy; `true` means the defaults. */
export function restartPolicy(option: boolean | Partial<RestartPolicy> | undefined): RestartPolicy | undefined {
  if (option === undefined || option === false) return undefined;
  const policy = { ...DEFAULT_RESTART_POLICY, ...(option === true ? {} : option) };
  if (!(policy.initialDelayMs >= 0 && policy.maxDelayMs >= policy.initialDelayMs && policy.stableAfterMs >= 0)) {
    throw new Error(`invalid restart policy: ${JSON.stringify(policy)}`);
  }
  return policy;
}

/** What a supervised stack reports about its restarts. */
export type SupervisionEvent =
  | {
      readonly type: "restarting";
      readonly name: string;
      /** How the process ended. */
      readonly exit: ExitInfo;
      readonly delayMs: number;
      /** 1 for the first restart of this process in the stack's life. */
      readonly attempt: number;
    }
  | { readonly type: "restarted"; readonly name: string; readonly pid: number | undefined; readonly attempt: number }
  | { readonly type: "restart-failed"; readonly name: string; readonly error: Error; readonly attempt: number };
