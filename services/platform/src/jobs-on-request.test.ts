import { JobRunOutcome } from "@t2m/proto/common/v1/jobs";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { dueOnSchedule, jobRunMessage, jobsOnRequest, lastScheduledAt } from "./jobs-on-request.js";
import { createLogger } from "./logging.js";
import type { Database } from "./mongo.js";
import { fieldViolationsOf } from "./rpc-errors.js";

const daily = { schedule: "0 3 * * *", timeZone: "Africa/Lagos" };
const everyFive = { schedule: "*/5 * * * *", timeZone: "Africa/Lagos" };

describe("a job run on request", () => {
  it("knows when its schedule last fired, in the schedule's time zone", () => {
    // 03:00 in Lagos (UTC+1) is 02:00 UTC.
    expect(lastScheduledAt(daily, new Date("2026-11-27T10:00:00Z"))).toEqual(new Date("2026-11-27T02:00:00Z"));
    expect(lastScheduledAt(daily, new Date("2026-11-27T01:59:00Z"))).toEqual(new Date("2026-11-26T02:00:00Z"));
    expect(lastScheduledAt(everyFive, new Date("2026-11-27T10:07:30Z"))).toEqual(new Date("2026-11-27T10:05:00Z"));
  });

  it("is due unless it succeeded since the schedule last fired", () => {
    const now = new Date("2026-11-27T10:00:00Z");
    expect(dueOnSchedule(daily, undefined, now).due).toBe(true);
    expect(dueOnSchedule(daily, new Date("2026-11-26T02:00:05Z"), now).due).toBe(true);
    expect(dueOnSchedule(daily, new Date("2026-11-27T02:00:05Z"), now)).toEqual({ due: false, lastScheduled: new Date("2026-11-27T02:00:00Z") });
    expect(dueOnSchedule(everyFive, new Date("2026-11-27T09:58:00Z"), now).due).toBe(false);
    expect(dueOnSchedule(everyFive, new Date("2026-11-27T09:54:59Z"), now).due).toBe(true);
  });

  it("answers the run as recorded: outcome, items, counts, times and the error", () => {
    const startedAt = new Date("2026-11-27T10:00:00Z");
    const message = jobRunMessage({ name: "renewal-check", run: 7, outcome: "failed", result: { processed: 3, failed: 1, counts: { expired: 3, errors: 1 } }, durationMs: 1500 }, startedAt, startedAt);
    expect(message).toMatchObject({ job: "renewal-check", run: 7, outcome: JobRunOutcome.FAILED, processed: 3, failed: 1, counts: { expired: 3n, errors: 1n }, error: "" });
    expect(timestampDate(message.endedAt!)).toEqual(new Date("2026-11-27T10:00:01.500Z"));
    const broken = jobRunMessage({ name: "webhook-retry", run: 1, outcome: "failed", error: new Error("boom"), durationMs: 0 }, startedAt, startedAt);
    expect([broken.outcome, broken.error, broken.processed]).toEqual([JobRunOutcome.FAILED, "boom", 0]);
  });

  it("refuses an unknown job with INVALID_ARGUMENT naming the valid ones, before reading anything", async () => {
    const noDatabase = new Proxy({}, { get: () => { throw new Error("the database was used"); } }) as Database;
    const jobs = jobsOnRequest({
      jobs: [{ name: "renewal-check", ...daily, run: async () => ({ processed: 0, failed: 0 }) }, { name: "expiry-reminders", ...daily, run: async () => ({ processed: 0, failed: 0 }) }],
      database: noDatabase,
      logger: createLogger("test", "silent"),
    });
    const err = await jobs.run({ name: "webhook-retry", force: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage).toBe('unknown job "webhook-retry"; valid jobs: renewal-check, expiry-reminders');
    expect(fieldViolationsOf(err as ConnectError)).toEqual([{ field: "name", description: 'no job named "webhook-retry" here; valid: renewal-check, expiry-reminders' }]);
  });
});
