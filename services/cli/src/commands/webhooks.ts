import { toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  EnableEndpointResponseSchema,
  GetEndpointResponseSchema,
  ListAttemptsResponseSchema,
  ListDeadLettersResponseSchema,
  ListMessagesResponseSchema,
  MessageStatus,
  NotificationService,
  ReplayDeadLettersResponseSchema,
  ReplayMessageResponseSchema,
  ReplayOrderResponseSchema,
} from "@t2m/proto/notification/v1/notification";
import { UsageError } from "../domain/exit-codes.js";
import { enumArgument, positiveInt, timeArgument } from "../domain/values.js";
import { attemptTable, endpointFields, messageTable } from "../domain/views.js";
import type { CommandGroup } from "./command-group.js";

const status = enumArgument(MessageStatus, "message status");
const DAY_MS = 24 * 3_600_000;

/** Webhook ids are "msg_" and 27 base64url characters; anything else names an order. */
export const isWebhookId = (id: string) => /^msg_[A-Za-z0-9_-]{27}$/.test(id);

export const webhooks: CommandGroup = {
  name: "webhooks",
  description: "Webhook messages, their attempts, dead letters, replays and endpoints (NotificationService)",
  register(group, ctx) {
    const notification = () => ctx.client(NotificationService);

    group
      .command("list")
      .description("webhook messages, oldest first: an order's, by status, or created since a time (default: the last 24h)")
      .option("--order <orderId>", "only this order's messages")
      .option("--status <status>", `only this status: ${status.names.join(", ")}`, status)
      .option("--since <time>", "created at or after (ISO 8601, or 30m/6h/2d back)", timeArgument())
      .option("--limit <n>", "at most this many (default 200)", positiveInt(1000))
      .action(async (opts: { order?: string; status?: MessageStatus; since?: Date; limit?: number }) => {
        // Delivered messages are history, listed by a time window only; the others are the working set.
        const needsWindow = !opts.order && (opts.status === undefined || opts.status === MessageStatus.DELIVERED);
        const since = opts.since ?? (needsWindow ? new Date(Date.now() - DAY_MS) : undefined);
        const res = await notification().listMessages({
          orderId: opts.order ?? "",
          status: opts.status ?? MessageStatus.UNSPECIFIED,
          ...(since ? { createdAfter: timestampFromDate(since) } : {}),
          limit: opts.limit ?? 0,
        });
        ctx.print({ json: toJson(ListMessagesResponseSchema, res), text: messageTable(res.messages) + (res.truncated ? "\n(more: narrow with --since or raise --limit)" : "") });
      });

    group
      .command("attempts")
      .description("every delivery attempt of an order or of one message (msg_…), oldest first, with statuses and errors")
      .argument("<id>", "an order id, or a webhook (message) id msg_…")
      .option("--limit <n>", "at most this many (default 200)", positiveInt(1000))
      .action(async (id: string, opts: { limit?: number }) => {
        const res = await notification().listAttempts({ ...(isWebhookId(id) ? { webhookId: id } : { orderId: id }), limit: opts.limit ?? 0 });
        ctx.print({ json: toJson(ListAttemptsResponseSchema, res), text: attemptTable(res.attempts) + (res.truncated ? "\n(more: raise --limit)" : "") });
      });

    group
      .command("replay")
      .description("a new attempt chain for a dead message (same webhook id), or for every dead message of an order")
      .argument("[webhookId]", "the dead message's id (msg_…)")
      .option("--order <orderId>", "replay every dead message of this order, earliest event first")
      .action(async (webhookId: string | undefined, opts: { order?: string }) => {
        if (!webhookId === !opts.order) throw new UsageError("give a webhook id or --order <orderId> (one of them)");
        if (opts.order) {
          const res = await notification().replayOrder({ orderId: opts.order });
          ctx.print({ json: toJson(ReplayOrderResponseSchema, res), text: replayed(res.webhookIds) });
        } else {
          const res = await notification().replayMessage({ webhookId: webhookId! });
          ctx.print({ json: toJson(ReplayMessageResponseSchema, res), text: res.message ? messageTable([res.message]) : "" });
        }
      });

    group
      .command("dead")
      .description("dead messages (retries exhausted, 410 Gone, endpoint disabled), oldest death first; --replay replays them")
      .option("--since <time>", "died at or after (ISO 8601, or 30m/6h/2d back)", timeArgument())
      .option("--limit <n>", "at most this many listed (default 200)", positiveInt(1000))
      .option("--replay", "replay every message that died since --since (all dead messages without it)")
      .action(async (opts: { since?: Date; limit?: number; replay?: boolean }) => {
        const since = opts.since ? { since: timestampFromDate(opts.since) } : {};
        if (opts.replay) {
          const res = await notification().replayDeadLetters({ since: timestampFromDate(opts.since ?? new Date(0)) });
          ctx.print({ json: toJson(ReplayDeadLettersResponseSchema, res), text: replayed(res.webhookIds) });
          return;
        }
        const res = await notification().listDeadLetters({ ...since, limit: opts.limit ?? 0 });
        ctx.print({ json: toJson(ListDeadLettersResponseSchema, res), text: messageTable(res.messages) + (res.truncated ? "\n(more: narrow with --since or raise --limit)" : "") });
      });

    group
      .command("endpoint")
      .description("a partner's webhook endpoint: enabled or disabled, and why")
      .argument("[endpointId]", "the partner id", "t2mobile")
      .action(async (endpointId: string) => {
        const res = await notification().getEndpoint({ endpointId });
        ctx.print({ json: toJson(GetEndpointResponseSchema, res), text: res.endpoint ? endpointFields(res.endpoint) : "" });
      });

    group
      .command("enable-endpoint")
      .description("enable a disabled endpoint; what died since it started failing is replayed")
      .argument("<endpointId>", "the partner id")
      .action(async (endpointId: string) => {
        const res = await notification().enableEndpoint({ endpointId });
        ctx.print({ json: toJson(EnableEndpointResponseSchema, res), text: `${res.endpoint ? endpointFields(res.endpoint) : ""}\n${replayed(res.replayedWebhookIds)}` });
      });
  },
};

const replayed = (ids: readonly string[]) => (ids.length === 0 ? "nothing to replay" : `replayed ${ids.length}:\n${ids.map((id) => `  ${id}`).join("\n")}`);
