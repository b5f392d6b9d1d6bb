import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { JobRunOutcome, JobRunSchema, type JobRun } from "@t2m/proto/common/v1/jobs";
import { Cron } from "croner";
import type { Logger } from "pino";
import { JobRunsReader, runJob, type JobContext, type JobResult, type JobRunSummary } from "./jobs.js";
import { createMetrics } from "./metrics.js";
import type { Database } from "./mongo.js";
import type { EventBus } from "./nats.js";
import { invalidArgument, reasonedError } from "./rpc-errors.js";

/**
 * Scheduled jobs run on request (the RunJob RPCs behind `t2m jobs run`): the
 * serving process runs the job's own run function through runJob, exactly as
 * its CronJob's process does (a run number claimed in job_runs, the start and
 * the end recorded, the same outcome rules), on the process's connections.
 */
export interface JobOnRequest {
  readonly name: string;
  /** The CronJob's five-field schedule and time zone (services/topology's Jobs). */
  readonly schedule: string;
  readonly timeZone: string;
  run(ctx: JobContext): Promise<JobResult>;
}

/** The schedule's last firing at or before `now`. */
export function lastScheduledAt(job: Pick<JobOnRequest, "schedule" | "timeZone">, now: Date): Date | undefined {
  return new Cron(job.schedule, { timezone: job.timeZone, mode: "5-part", paused: true }).previousRuns(1, now)[0];
}

/**
 * A job is due unless it has succeeded since its schedule last fired: the
 * guard a request passes unless forced, so a job the schedule has already
 * covered (say, today's renewal-check) is not run again by mistake.
 */
export function dueOnSchedule(job: Pick<JobOnRequest, "schedule" | "timeZone">, lastSuccessStartedAt: Date | undefined, now: Date): { due: boolean; lastScheduled: Date | undefined } {
  const lastScheduled = lastScheduledAt(job, now);
  const due = !lastSuccessStartedAt || !lastScheduled || lastSuccessStartedAt.getTime() < lastScheduled.getTime();
  return { due, lastScheduled };
}

const OUTCOMES = { succeeded: JobRunOutcome.SUCCEEDED, failed: JobRunOutcome.FAILED, aborted: JobRunOutcome.ABORTED } as const;

/** A finished run as the RPCs answer it (common.v1.JobRun). */
export function jobRunMessage(summary: JobRunSummary, startedAt: Date, clock: Date): JobRun {
  const counts: MessageInitShape<typeof JobRunSchema>["counts"] = {};
  for (const [key, value] of Object.entries(summary.result?.counts ?? {})) counts[key] = BigInt(Math.trunc(value));
  return create(JobRunSchema, {
    job: summary.name,
    run: summary.run,
    outcome: OUTCOMES[summary.outcome],
    processed: summary.result?.processed ?? 0,
    failed: summary.result?.failed ?? 0,
    counts,
    startedAt: timestampFromDate(startedAt),
    endedAt: timestampFromDate(new Date(startedAt.getTime() + summary.durationMs)),
    clock: timestampFromDate(clock),
    error: summary.error === undefined ? "" : summary.error instanceof Error ? summary.error.message : String(summary.error),
  });
}

export interface JobsOnRequestOptions {
  readonly jobs: readonly JobOnRequest[];
  readonly database: Database;
  /** For jobs that publish (the provisioning jobs). */
  readonly events?: EventBus;
  readonly logger: Logger;
  /** The real time; tests set it. */
  readonly clock?: () => Date;
}

/** Runs a job by name for a RunJob request; the errors are the RPC's (INVALID_ARGUMENT, FAILED_PRECONDITION JOB_NOT_DUE). */
export function jobsOnRequest(options: JobsOnRequestOptions) {
  const clock = options.clock ?? (() => new Date());
  const names = options.jobs.map((j) => j.name);
  return {
    names,
    /** `signal`: the request's (a caller that goes away aborts the run, recorded as aborted, like SIGTERM). */
    async run(request: { readonly name: string; readonly force: boolean }, signal?: AbortSignal): Promise<JobRun> {
      const job = options.jobs.find((j) => j.name === request.name);
      if (!job) {
        throw invalidArgument([{ field: "name", description: `no job named ${JSON.stringify(request.name)} here; valid: ${names.join(", ")}` }], `unknown job ${JSON.stringify(request.name)}; valid jobs: ${names.join(", ")}`);
      }
      const now = clock();
      if (!request.force) {
        const { lastSuccess } = await new JobRunsReader(options.database).status(job.name);
        const { due, lastScheduled } = dueOnSchedule(job, lastSuccess?.startedAt, now);
        if (!due && lastSuccess) {
          throw reasonedError(
            Code.FailedPrecondition,
            "JOB_NOT_DUE",
            `${job.name} already succeeded at ${lastSuccess.startedAt.toISOString()} (run ${lastSuccess.run}), after its schedule last fired (${lastScheduled?.toISOString()}, "${job.schedule}" ${job.timeZone}); force it (t2m jobs run ${job.name} --now) to run it again`,
          );
        }
      }
      const startedAt = new Date();
      // The job's clock is the real time (no JOB_NOW or --now of the serving process applies).
      const summary = await runJob({
        name: job.name,
        argv: [],
        env: {},
        logger: options.logger,
        metrics: createMetrics(job.name, { processMetrics: false }),
        connections: { database: options.database, ...(options.events ? { events: options.events } : {}) },
        ...(signal ? { signal } : {}),
        run: (ctx) => job.run(ctx),
      });
      options.logger.info({ job: job.name, run: summary.run, outcome: summary.outcome, forced: request.force }, "job run on request");
      return jobRunMessage(summary, startedAt, startedAt);
    },
  };
}
