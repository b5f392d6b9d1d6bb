import { toJson } from "@bufbuild/protobuf";
import {
  CompleteLicenceTaskResponseSchema,
  FailLicenceTaskResponseSchema,
  LicenceTaskService,
  LicenceTaskState,
  ListLicenceTasksResponseSchema,
} from "@t2m/proto/provisioning/v1/licence_tasks";
import { enumArgument, positiveInt } from "../domain/values.js";
import { licenceTaskFields, licenceTaskTable } from "../domain/views.js";
import type { CommandGroup } from "./command-group.js";

const state = enumArgument(LicenceTaskState, "task state");

export const provisioning: CommandGroup = {
  name: "provisioning",
  description: "Work the manual licence queue: orders waiting for a person to provision their licence (LicenceTaskService; LICENCE_PROVISIONER=manual)",
  register(group, ctx) {
    group
      .command("queue")
      .description("licence tasks, oldest first (default: the ones waiting for an operator)")
      .option("--state <state>", `tasks in this state: ${state.names.join(", ")} (default WAITING)`, state)
      .option("--limit <n>", "at most this many (1–500, default 100)", positiveInt(500))
      .option("--cursor <cursor>", "the next page, from a previous queue listing")
      .action(async (opts: { state?: LicenceTaskState; limit?: number; cursor?: string }) => {
        const res = await ctx.client(LicenceTaskService).listLicenceTasks({
          state: opts.state ?? LicenceTaskState.WAITING,
          pageSize: opts.limit ?? 0,
          pageToken: opts.cursor ?? "",
        });
        const more = res.nextPageToken ? `\n\nmore: t2m provisioning queue --cursor ${res.nextPageToken}` : "";
        ctx.print({ json: toJson(ListLicenceTasksResponseSchema, res), text: licenceTaskTable(res.tasks) + more });
      });

    group
      .command("complete")
      .description("complete a waiting task with the licence's activation reference: its order then finishes FULFILLED at its next poll")
      .argument("<orderId>", "the order whose licence was provisioned")
      .requiredOption("--reference <activationReference>", "the activation reference the licence was issued under")
      .action(async (orderId: string, opts: { reference: string }) => {
        const res = await ctx.client(LicenceTaskService).completeLicenceTask({ orderId, activationReference: opts.reference });
        const note = res.alreadyCompleted ? "(it was already completed with this reference: nothing changed)\n" : "";
        ctx.print({ json: toJson(CompleteLicenceTaskResponseSchema, res), text: note + (res.task ? licenceTaskFields(res.task) : "") });
      });

    group
      .command("fail")
      .description("fail a waiting task: its order ends FAILED (PROVISIONING_FAILED) and T2Mobile is told, with this reason")
      .argument("<orderId>", "the order whose licence cannot be provisioned")
      .requiredOption("--reason <text>", "why (the partner sees it after the failure's fixed text)")
      .action(async (orderId: string, opts: { reason: string }) => {
        const res = await ctx.client(LicenceTaskService).failLicenceTask({ orderId, reason: opts.reason });
        const note = res.alreadyFailed ? "(it was already failed with this reason: nothing changed)\n" : "";
        ctx.print({ json: toJson(FailLicenceTaskResponseSchema, res), text: note + (res.task ? licenceTaskFields(res.task) : "") });
      });
  },
};
