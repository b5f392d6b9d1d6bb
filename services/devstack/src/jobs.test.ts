import { ALL_JOBS } from "@t2m/topology";
import { describe, expect, it } from "vitest";
import { findJob, startJobScheduler } from "./jobs.js";

describe("the local job scheduler", () => {
  it("knows the platform's jobs by name", () => {
    expect(findJob("webhook-retry")).toMatchObject({ service: "notification", schedule: "*/5 * * * *", timeZone: "Africa/Lagos" });
    expect(findJob("expiry-reminders")).toMatchObject({ service: "provisioning", schedule: "0 2 * * *", timeZone: "Africa/Lagos" });
    expect(findJob("renewal-check")).toMatchObject({ service: "provisioning", schedule: "0 3 * * *", timeZone: "Africa/Lagos" });
    expect(findJob("nope")).toBeUndefined();
  });

  it("schedules each job on its cron in its time zone and says when it first runs", async () => {
    const lines: string[] = [];
    const scheduler = startJobScheduler({ envFor: () => ({}), log: (l) => lines.push(l) });
    const next = scheduler.nextRuns();
    await scheduler.stop();
    expect(next.map((n) => n.job)).toEqual(ALL_JOBS.map((j) => j.name));
    const webhookRetry = next.find((n) => n.job === "webhook-retry")!.at!;
    // Every five minutes: on a minute divisible by 5 (Lagos is a whole hour from UTC), within five minutes from now.
    expect(webhookRetry.getUTCMinutes() % 5).toBe(0);
    expect(webhookRetry.getUTCSeconds()).toBe(0);
    expect(webhookRetry.getTime() - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    expect(lines.some((l) => l.startsWith('job webhook-retry: scheduled "*/5 * * * *" (Africa/Lagos)'))).toBe(true);
    // The subscription jobs: daily at 02:00 and 03:00 in Lagos (01:00 and 02:00 UTC), within a day from now.
    for (const [job, utcHour] of [["expiry-reminders", 1], ["renewal-check", 2]] as const) {
      const at = next.find((n) => n.job === job)!.at!;
      expect([at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds()], job).toEqual([utcHour, 0, 0]);
      expect(at.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3_600_000);
      expect(lines.some((l) => l.startsWith(`job ${job}: scheduled`))).toBe(true);
    }
  });
});
