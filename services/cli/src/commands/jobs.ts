import { toJson } from "@bufbuild/protobuf";
import { JobRunOutcome } from "@t2m/proto/common/v1/jobs";
import { NotificationJobService, RunJobResponseSchema as NotificationRunJobResponseSchema } from "@t2m/proto/notification/v1/jobs";
import { ProvisioningJobService, RunJobResponseSchema as ProvisioningRunJobResponseSchema } from "@t2m/proto/provisioning/v1/jobs";
import { ALL_JOBS } from "@t2m/topology/jobs";
import { InvalidArgumentError } from "commander";
import { formatTable } from "../domain/table.js";
import { jobRunFields } from "../domain/views.js";
import { LONG_CALL, type CommandGroup } from "./command-group.js";

/** Which RPC runs a job: its owning service's job service. */
const RUNNERS = {
  provisioning: { service: ProvisioningJobService, response: ProvisioningRunJobResponseSchema },
  notification: { service: NotificationJobService, response: NotificationRunJobResponseSchema },
} as const;

function jobName(raw: string): string {
  if (!ALL_JOBS.some((j) => j.name === raw)) throw new InvalidArgumentError(`no job named ${JSON.stringify(raw)}; the jobs: ${ALL_JOBS.map((j) => j.name).join(", ")}`);
  return raw;
}

export const jobs: CommandGroup = {
  name: "jobs",
  description: "The scheduled jobs (CronJobs): list them, run one now in its service",
  register(group, ctx) {
    group
      .command("list")
      .description("the scheduled jobs, their service and schedule")
      .action(() => {
        ctx.print({
          json: { jobs: ALL_JOBS },
          text: formatTable(["JOB", "SERVICE", "SCHEDULE", "TIME ZONE", "DOES"], ALL_JOBS.map((j) => [j.name, j.service, j.schedule, j.timeZone, j.description])),
        });
      });

    group
      .command("run")
      .description(
        "run a job once, now, in the service that owns it: the same code as its CronJob, recorded in job_runs like any run. " +
          "Without --now a job that has already succeeded since its schedule last fired (say, today's renewal-check) is refused (FAILED_PRECONDITION JOB_NOT_DUE); " +
          "--now runs it anyway. The job's clock is the real time. Exit 1 when the run does not succeed",
      )
      .argument("<name>", ALL_JOBS.map((j) => j.name).join(" | "), jobName)
      .option("--now", "run even if it already succeeded since its schedule last fired")
      .action(async (name: string, opts: { now?: boolean }) => {
        const job = ALL_JOBS.find((j) => j.name === name)!;
        const runner = RUNNERS[job.service as keyof typeof RUNNERS];
        if (!runner) throw new Error(`t2m cannot run ${job.service}'s jobs yet`);
        const res = await ctx.client(runner.service).runJob({ name, force: opts.now ?? false }, LONG_CALL);
        ctx.print({ json: toJson(runner.response, res), text: res.run ? jobRunFields(res.run) : "" });
        if (res.run?.outcome !== JobRunOutcome.SUCCEEDED) ctx.fail();
      });
  },
};
