import { hostname } from "node:os";
import type { Collection } from "mongodb";
import type { Logger } from "pino";
import { Gauge, type Registry } from "prom-client";
import { isDuplicateKeyError, Database } from "./mongo.js";
import { createLogger } from "./logging.js";
import { repeatEvery } from "./repeat.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { EventBus, type ConsumerDefinition, type NatsCredentials, type StreamDefinition } from "./nats.js";

/**
 * One-shot jobs: the scheduled work that runs as a Kubernetes CronJob (and,
 * locally, from `npm start`'s scheduler or `npm run job`). A job is a
 * command that does its work, records the run in `job_runs` and exits 0
 * when the work is done, non-zero when it is not.
 */

export const JOB_RUNS_COLLECTION = "job_runs";

export type JobOutcome = "running" | "succeeded" | "failed" | "aborted";

/** What a job reports when it has done its work. */
export interface JobResult {
  /** Items the job looked at and dealt with (e.g. due messages it sent). */
  readonly processed: number;
  /** Items it could not deal with because of an error; more than 0 fails the run. */
  readonly failed: number;
  /** Any further counts worth keeping with the run (e.g. delivered, retrying, dead). */
  readonly counts?: Readonly<Record<string, number>>;
}

/** What a job's run function is given. */
export interface JobContext {
  readonly name: string;
  /** The run's number, claimed at start: run n of this job is `job_runs/<name>#<n>`. */
  readonly run: number;
  /** The job's clock at start: `--now <ISO>` or JOB_NOW when given, else the real time. */
  readonly now: Date;
  /** The job's clock now: `now` plus the real time elapsed since the start. */
  clock(): Date;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly database: Database;
  /** Set when the job asked for NATS. */
  readonly events: EventBus | undefined;
  /** Aborted on SIGTERM (or by the caller): stop taking new items, finish or give back the current one, and return. */
  readonly signal: AbortSignal;
  /** Command-line arguments left after the platform's own (--now). */
  readonly args: readonly string[];
}

export interface JobOptions {
  readonly name: string;
  /** Where the job connects; unused (and may be left out) with `connections`. */
  readonly mongodbUrl?: string;
  readonly nats?: {
    url: string;
    credentials?: NatsCredentials;
    ackWaitMs?: number;
    streams?: readonly StreamDefinition[];
    consumers?: readonly ConsumerDefinition[];
  };
  readonly logLevel?: string;
  /** Defaults to process.argv.slice(2). */
  readonly argv?: readonly string[];
  /** Where JOB_NOW is read; process.env by default. */
  readonly env?: Record<string, string | undefined>;
  /** Aborts the run (runJobMain wires SIGTERM and SIGINT to it). */
  readonly signal?: AbortSignal;
  /** A logger to use instead of a new one (tests, a serving process). */
  readonly logger?: Logger;
  /** A registry to use instead of a new one with process metrics (a serving process: see createMetrics). */
  readonly metrics?: Metrics;
  /**
   * The serving process's own connections, when it runs the job on request
   * (RunJob): used instead of connecting, and left open. `nats` is then unused.
   */
  readonly connections?: { readonly database: Database; readonly events?: EventBus };
  run(ctx: JobContext): Promise<JobResult>;
}

/** One run as stored in job_runs (insert at start, one update at the end, both by the run's own process). */
export interface JobRunRecord {
  readonly _id: string;
  readonly job: string;
  readonly run: number;
  readonly outcome: JobOutcome;
  /** Real time. */
  readonly startedAt: Date;
  readonly endedAt?: Date;
  /** The job's clock at start (differs from startedAt when --now or JOB_NOW was given). */
  readonly clockAt: Date;
  readonly processed?: number;
  readonly failed?: number;
  readonly counts?: Readonly<Record<string, number>>;
  readonly error?: string;
  readonly host: string;
  readonly pid: number;
}

export interface JobRunSummary {
  readonly name: string;
  readonly run: number;
  readonly outcome: Exclude<JobOutcome, "running">;
  readonly result?: JobResult;
  readonly error?: unknown;
  readonly durationMs: number;
}

/** Exit codes: 0 done, 1 failed, 143 stopped by SIGTERM before the work was done. */
export const exitCodeOf = (outcome: JobRunSummary["outcome"]): number => (outcome === "succeeded" ? 0 : outcome === "aborted" ? 143 : 1);

/** The job's clock: `--now <ISO>` (or `--now=<ISO>`) wins over JOB_NOW; undefined means the real time. Throws on an unreadable time. */
export function parseJobClock(argv: readonly string[], env: Record<string, string | undefined>): { now: Date | undefined; args: string[] } {
  const args: string[] = [];
  let raw: string | undefined = env.JOB_NOW || undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--now") {
      raw = argv[++i];
      if (raw === undefined) throw new Error("--now needs an ISO 8601 time, e.g. --now 2026-11-27T10:00:00Z");
    } else if (arg.startsWith("--now=")) {
      raw = arg.slice("--now=".length);
    } else {
      args.push(arg);
    }
  }
  if (raw === undefined) return { now: undefined, args };
  const time = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(time)) throw new Error(`not an ISO 8601 time: ${JSON.stringify(raw)} (e.g. 2026-11-27T10:00:00Z)`);
  return { now: new Date(time), args };
}

const runId = (job: string, run: number) => `${job}#${run}`;

/**
 * The highest run number of a job. Run numbers are claimed consecutively by
 * unique insert and runs are never deleted, so an exponential probe and a
 * binary search by _id find it in O(log n) exact-_id reads, which every
 * store (FerretDB's SQLite backend included) answers from its primary key.
 */
export async function latestRunNumber(runs: Collection<JobRunRecord>, job: string, from = 0): Promise<number> {
  const exists = async (n: number) => (await runs.countDocuments({ _id: runId(job, n) }, { limit: 1 })) > 0;
  if (!(await exists(from + 1))) return from;
  let low = from + 1;
  let step = 1;
  while (await exists(low + step)) {
    low += step;
    step *= 2;
  }
  let high = low + step; // does not exist
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (await exists(mid)) low = mid;
    else high = mid;
  }
  return low;
}

/** Runs a job once: claims a run number, records the start, runs, records the end. Never exits the process. */
export async function runJob(options: JobOptions): Promise<JobRunSummary> {
  const logger = (options.logger ?? createLogger(options.name, options.logLevel ?? "info")).child({ job: options.name });
  const { now: injected, args } = parseJobClock(options.argv ?? process.argv.slice(2), options.env ?? process.env);
  const started = Date.now();
  const startClock = injected ?? new Date(started);
  const clock = () => new Date(startClock.getTime() + (Date.now() - started));
  const metrics = options.metrics ?? createMetrics(options.name);
  const shared = options.connections;
  if (!shared && !options.mongodbUrl) throw new Error(`job ${options.name} needs mongodbUrl or the serving process's connections`);
  const database = shared?.database ?? (await Database.connect(options.mongodbUrl!, logger, `job:${options.name}`));
  let events: EventBus | undefined = shared?.events;
  try {
    if (options.nats && !shared) {
      events = await EventBus.connect({
        url: options.nats.url,
        credentials: options.nats.credentials,
        name: `job:${options.name}`,
        logger,
        metrics,
        ackWaitMs: options.nats.ackWaitMs ?? 30_000,
      });
      await events.declare({ streams: options.nats.streams ?? [], consumers: options.nats.consumers ?? [] });
    }
    const runs = database.collection<JobRunRecord>(JOB_RUNS_COLLECTION);
    let run = await latestRunNumber(runs, options.name);
    const base = { job: options.name, outcome: "running" as const, startedAt: new Date(started), clockAt: startClock, host: hostname(), pid: process.pid };
    for (let tries = 0; ; tries++) {
      run += 1;
      try {
        await runs.insertOne({ _id: runId(options.name, run), run, ...base });
        break;
      } catch (err) {
        if (!isDuplicateKeyError(err) || tries >= 20) throw err;
      }
    }
    const log = logger.child({ run });
    log.info({ clock: startClock.toISOString(), injectedClock: injected !== undefined }, `job ${options.name} run ${run} started`);
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });

    let summary: JobRunSummary;
    try {
      const result = await options.run({ name: options.name, run, now: startClock, clock, logger: log, metrics, database, events, signal: controller.signal, args });
      const outcome = controller.signal.aborted ? "aborted" : result.failed > 0 ? "failed" : "succeeded";
      summary = { name: options.name, run, outcome, result, durationMs: Date.now() - started };
    } catch (error) {
      summary = { name: options.name, run, outcome: controller.signal.aborted ? "aborted" : "failed", error, durationMs: Date.now() - started };
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
    const error = summary.error === undefined ? undefined : summary.error instanceof Error ? summary.error.message : String(summary.error);
    await runs.updateOne(
      { _id: runId(options.name, run) },
      {
        $set: {
          outcome: summary.outcome,
          endedAt: new Date(),
          processed: summary.result?.processed ?? 0,
          failed: summary.result?.failed ?? 0,
          counts: { ...summary.result?.counts },
          ...(error === undefined ? {} : { error }),
        },
      },
    );
    const fields = { outcome: summary.outcome, durationMs: summary.durationMs, processed: summary.result?.processed ?? 0, failed: summary.result?.failed ?? 0, counts: summary.result?.counts };
    if (summary.outcome === "succeeded") log.info(fields, `job ${options.name} run ${run} succeeded`);
    else log.error({ ...fields, err: summary.error }, `job ${options.name} run ${run} ${summary.outcome}`);
    return summary;
  } finally {
    if (!shared) {
      await events?.close().catch(() => undefined);
      await database.close().catch(() => undefined);
    }
  }
}

/**
 * A job's process: runs it once and exits with its exit code (0 done, 1
 * failed, 143 stopped by SIGTERM). The first SIGTERM or SIGINT aborts the
 * run cleanly (the run is recorded as aborted); a second one exits at once.
 */
export function runJobMain(options: Omit<JobOptions, "signal">): void {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) process.exit(exitCodeOf("aborted"));
    controller.abort(new Error(`${signal} received`));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  runJob({ ...options, signal: controller.signal }).then(
    (summary) => process.exit(exitCodeOf(summary.outcome)),
    (err: unknown) => {
      createLogger(options.name).fatal({ err, job: options.name }, "job could not run");
      process.exit(1);
    },
  );
}

/** The last run of a job, as the metrics exporter sees it. */
export interface JobStatus {
  readonly job: string;
  readonly lastRun?: JobRunRecord;
  readonly lastSuccess?: JobRunRecord;
}

/** Reads a job's latest runs from job_runs, by _id only (remembering how far it got). */
export class JobRunsReader {
  private readonly runs: Collection<JobRunRecord>;
  private readonly latest = new Map<string, number>();
  private readonly lastSuccess = new Map<string, JobRunRecord>();

  constructor(database: Database) {
    this.runs = database.collection<JobRunRecord>(JOB_RUNS_COLLECTION);
  }

  async status(job: string): Promise<JobStatus> {
    const latest = await latestRunNumber(this.runs, job, this.latest.get(job) ?? 0);
    this.latest.set(job, latest);
    let lastRun: JobRunRecord | undefined;
    let lastSuccess = this.lastSuccess.get(job);
    // Walk back from the newest run: the last finished one, and the last success (at most 200 reads, once).
    for (let n = latest; n > 0 && n > latest - 200; n--) {
      if (lastSuccess && n <= lastSuccess.run && lastRun) break;
      const record = await this.runs.findOne({ _id: runId(job, n) });
      if (!record) continue;
      if (!lastRun && record.outcome !== "running") lastRun = record;
      if (record.outcome === "succeeded" && (!lastSuccess || record.run > lastSuccess.run)) lastSuccess = record;
      if (lastRun && lastSuccess) break;
    }
    if (lastSuccess) this.lastSuccess.set(job, lastSuccess);
    return { job, ...(lastRun ? { lastRun } : {}), ...(lastSuccess ? { lastSuccess } : {}) };
  }
}

export interface JobMetricsOptions {
  readonly database: Database;
  readonly registry: Registry;
  /** The jobs this service owns. */
  readonly jobs: readonly string[];
  readonly logger: Logger;
  /** How often job_runs is read; 15 s. */
  readonly intervalMs?: number;
}

/**
 * Prometheus gauges about a service's jobs, read from job_runs by the
 * long-running service (a CronJob's pod lives too briefly to be scraped):
 *   t2m_job_last_success_timestamp_seconds{job_name}
 *   t2m_job_last_run_timestamp_seconds{job_name}     (end of the last finished run)
 *   t2m_job_last_run_items{job_name}                  (items processed)
 *   t2m_job_last_run_failures{job_name}
 *   t2m_job_last_run_duration_seconds{job_name}
 * Returns what stops the refresh.
 */
export function exportJobMetrics(options: JobMetricsOptions): { refresh(): Promise<void>; stop(): Promise<void> } {
  const registers = [options.registry];
  const labelNames = ["job_name"] as const;
  const lastSuccess = new Gauge({ name: "t2m_job_last_success_timestamp_seconds", help: "When the job's last successful run ended (Unix seconds)", labelNames, registers });
  const lastRun = new Gauge({ name: "t2m_job_last_run_timestamp_seconds", help: "When the job's last finished run ended, whatever its outcome (Unix seconds)", labelNames, registers });
  const items = new Gauge({ name: "t2m_job_last_run_items", help: "Items the job's last finished run processed", labelNames, registers });
  const failures = new Gauge({ name: "t2m_job_last_run_failures", help: "Items the job's last finished run failed on (errors, not business outcomes); 1 for a run that failed as a whole", labelNames, registers });
  const duration = new Gauge({ name: "t2m_job_last_run_duration_seconds", help: "How long the job's last finished run took", labelNames, registers });
  const reader = new JobRunsReader(options.database);
  const refresh = async () => {
    for (const job of options.jobs) {
      const status = await reader.status(job);
      const labels = { job_name: job };
      if (status.lastSuccess?.endedAt) lastSuccess.set(labels, status.lastSuccess.endedAt.getTime() / 1000);
      const run = status.lastRun;
      if (run?.endedAt) {
        lastRun.set(labels, run.endedAt.getTime() / 1000);
        items.set(labels, run.processed ?? 0);
        failures.set(labels, run.outcome === "succeeded" ? (run.failed ?? 0) : Math.max(1, run.failed ?? 0));
        duration.set(labels, (run.endedAt.getTime() - run.startedAt.getTime()) / 1000);
      }
    }
  };
  const repeating = repeatEvery(refresh, { intervalMs: options.intervalMs ?? 15_000, logger: options.logger, failure: "could not read job_runs for the job metrics" });
  return { refresh, stop: () => repeating.stop() };
}
