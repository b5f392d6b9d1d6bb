/**
 * The platform's scheduled jobs. Each is a one-shot command of the service
 * that owns its data (services/<service>/src/jobs/<name>.ts, built to
 * dist/jobs/<name>.js), run by a Kubernetes CronJob (the chart's `jobs`
 * values, which a test keeps equal to this list) and, locally, by
 * `npm start`'s scheduler on the same schedule, or at once with
 * `npm run job -- <name> [--now <ISO>]`.
 */
export interface JobDefinition {
  readonly name: string;
  /** The service whose environment and data the job uses. */
  readonly service: string;
  /** Five-field cron, read in `timeZone`. */
  readonly schedule: string;
  readonly timeZone: string;
  readonly description: string;
}

/** Where the platform's business day is. */
export const JOB_TIME_ZONE = "Africa/Lagos";

export const Jobs = {
  webhookRetry: {
    name: "webhook-retry",
    service: "notification",
    schedule: "*/5 * * * *",
    timeZone: JOB_TIME_ZONE,
    description: "Sends webhook messages whose next attempt is due (the safety net behind notification's own timers)",
  },
  expiryReminders: {
    name: "expiry-reminders",
    service: "provisioning",
    schedule: "0 2 * * *",
    timeZone: JOB_TIME_ZONE,
    description: "Sends EXPIRY_REMINDER for ACTIVE subscriptions that end in 7, 3 or 1 days (once per subscription, period end and threshold)",
  },
  renewalCheck: {
    name: "renewal-check",
    service: "provisioning",
    schedule: "0 3 * * *",
    timeZone: JOB_TIME_ZONE,
    description: "Expires subscriptions past their end with no renewal (SUBSCRIPTION_EXPIRED); reports those whose renewal order is unfinished",
  },
} as const satisfies Record<string, JobDefinition>;

export const ALL_JOBS: readonly JobDefinition[] = Object.values(Jobs);

/** The built entry point of a job, relative to the repository root. */
export const jobEntry = (job: Pick<JobDefinition, "name" | "service">): string => `services/${job.service}/dist/jobs/${job.name}.js`;
