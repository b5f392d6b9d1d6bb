// Scheduled jobs locally: `npm start` runs each job of the platform on its
// CronJob schedule (same command, same schedule, same time zone) with an
// in-process scheduler, and tests and `npm run job` run one at once.
import { join } from "node:path";
import { ALL_JOBS, jobEntry, type JobDefinition } from "@t2m/topology";
import { Cron } from "croner";
import { childEnv, REPO_ROOT, type Environment } from "./config.js";
import { ManagedProcess, type ExitInfo, type OutputSink } from "./processes.js";

export interface JobProcessOptions {
  readonly repoRoot?: string;
  /** The complete environment of the job's process. */
  readonly env: NodeJS.ProcessEnv;
  /** Extra arguments, e.g. ["--now", "2026-11-27T10:00:00Z"]. */
  readonly args?: readonly string[];
  readonly output?: OutputSink;
  /** Aborting sends the job SIGTERM (it records the run as aborted and exits 143). */
  readonly signal?: AbortSignal;
}

export interface JobProcessResult {
  readonly job: string;
  readonly exit: ExitInfo;
  readonly durationMs: number;
  /** The job's output lines (JSON logs). */
  readonly lines: readonly string[];
}

export function findJob(name: string): JobDefinition | undefined {
  return ALL_JOBS.find((j) => j.name === name);
}

/** Runs a job's command once, as its CronJob would: `node --import @t2m/platform/telemetry-register services/<service>/dist/jobs/<name>.js`. */
export async function runJobProcess(job: JobDefinition, options: JobProcessOptions): Promise<JobProcessResult> {
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const started = Date.now();
  const lines: string[] = [];
  const proc = ManagedProcess.spawn({
    name: `job:${job.name}`,
    command: process.execPath,
    args: ["--import", "@t2m/platform/telemetry-register", join(repoRoot, jobEntry(job)), ...(options.args ?? [])],
    cwd: repoRoot,
    env: options.env,
    output: options.output,
    onLine: (line) => void lines.push(line),
  });
  const stop = () => proc.kill("SIGTERM");
  options.signal?.addEventListener("abort", stop, { once: true });
  const exit = await proc.exited;
  options.signal?.removeEventListener("abort", stop);
  return { job: job.name, exit, durationMs: Date.now() - started, lines };
}

export interface JobSchedulerOptions {
  readonly jobs?: readonly JobDefinition[];
  readonly repoRoot?: string;
  /** The contract env of the service that owns a job (the job runs with it). */
  readonly envFor: (service: string) => Environment;
  readonly output?: OutputSink;
  /** Progress lines: when each job starts and how it ended. */
  readonly log: (message: string) => void;
}

export interface JobScheduler {
  /** Each job's next start. */
  nextRuns(): Array<{ job: string; at: Date | null }>;
  /** Stops scheduling, sends runs in progress SIGTERM and waits for them. */
  stop(): Promise<void>;
}

/**
 * Runs each job on its schedule (croner, in the job's time zone). A run
 * still going when the next is due is not overlapped (as the CronJob's
 * concurrencyPolicy: Forbid).
 */
export function startJobScheduler(options: JobSchedulerOptions): JobScheduler {
  const jobs = options.jobs ?? ALL_JOBS;
  const running = new Set<Promise<unknown>>();
  const stopping = new AbortController();
  const crons = jobs.map(
    (job) =>
      new Cron(job.schedule, { name: job.name, timezone: job.timeZone, mode: "5-part", protect: () => options.log(`job ${job.name}: still running, this run is skipped`) }, async (self: Cron) => {
        options.log(`job ${job.name}: started`);
        const run = runJobProcess(job, {
          repoRoot: options.repoRoot,
          env: childEnv(process.env, definedOnly(options.envFor(job.service))),
          output: options.output,
          signal: stopping.signal,
        });
        running.add(run);
        try {
          const result = await run;
          const next = self.nextRun();
          const how = result.exit.code === 0 ? "succeeded" : `failed (${result.exit.signal ?? `exit ${result.exit.code}`})`;
          options.log(`job ${job.name}: ${how} in ${(result.durationMs / 1000).toFixed(1)} s; next at ${next?.toISOString() ?? "never"}`);
        } finally {
          running.delete(run);
        }
      }),
  );
  for (const cron of crons) options.log(`job ${cron.name}: scheduled "${jobs.find((j) => j.name === cron.name)?.schedule}" (${jobs.find((j) => j.name === cron.name)?.timeZone}); first at ${cron.nextRun()?.toISOString()}`);
  return {
    nextRuns: () => crons.map((c) => ({ job: c.name ?? "", at: c.nextRun() })),
    stop: async () => {
      for (const cron of crons) cron.stop();
      stopping.abort();
      await Promise.allSettled(running);
    },
  };
}

const definedOnly = (env: Environment): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
