import { toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { FulfilmentService, GetOrderResponseSchema, ListOrdersResponseSchema, OrderStatus, RetryOrderResponseSchema } from "@t2m/proto/fulfilment/v1/fulfilment";
import { formatFields } from "../domain/table.js";
import { enumArgument, enumName, positiveInt, timeArgument } from "../domain/values.js";
import { orderFields, orderTable } from "../domain/views.js";
import type { CommandGroup } from "./command-group.js";

const status = enumArgument(OrderStatus, "order status");

export const orders: CommandGroup = {
  name: "orders",
  description: "Read orders and re-drive a stuck one (FulfilmentService)",
  register(group, ctx) {
    group
      .command("get")
      .description("one order, with its attempts, failure and Zoho ids")
      .argument("<orderId>", "the platform's order id (with --partner: the partner's own id)")
      .option("--partner <partnerId>", "look the id up among this partner's orders")
      .action(async (orderId: string, opts: { partner?: string }) => {
        const res = await ctx.client(FulfilmentService).getOrder({ orderId, partnerId: opts.partner ?? "" });
        ctx.print({ json: toJson(GetOrderResponseSchema, res), text: res.order ? orderFields(res.order) : "" });
      });

    group
      .command("list")
      .description("a partner's orders by last change, oldest first (one page)")
      .option("--partner <partnerId>", "whose orders", "t2mobile")
      .option("--status <status>", `only this status: ${status.names.join(", ")}`, status)
      .option("--since <time>", "changed at or after (ISO 8601, or 30m/6h/2d back; at most 7 days; default 24h)", timeArgument())
      .option("--limit <n>", "at most this many (1–500, default 100)", positiveInt(500))
      .option("--cursor <cursor>", "the next page, from a previous list")
      .action(async (opts: { partner: string; status?: OrderStatus; since?: Date; limit?: number; cursor?: string }) => {
        const res = await ctx.client(FulfilmentService).listOrders({
          partnerId: opts.partner,
          status: opts.status ?? OrderStatus.UNSPECIFIED,
          ...(opts.since ? { updatedSince: timestampFromDate(opts.since) } : {}),
          limit: opts.limit ?? 0,
          cursor: opts.cursor ?? "",
        });
        const more = res.nextCursor ? `\n\nmore: t2m orders list --partner ${opts.partner} --cursor ${res.nextCursor}` : "";
        ctx.print({ json: toJson(ListOrdersResponseSchema, res), text: orderTable(res.orders) + more });
      });

    group
      .command("retry")
      .description("re-drive an unfinished order now: its next attempt runs at once (after a live attempt's lease). FULFILLED and FAILED orders are final")
      .argument("<orderId>", "the platform's order id")
      .action(async (orderId: string) => {
        const res = await ctx.client(FulfilmentService).retryOrder({ orderId });
        const text = formatFields([
          ["order", orderId],
          ["status", res.order ? enumName(OrderStatus, res.order.status) : ""],
          ["re-drive", res.duplicate ? `attempt ${res.attempt} was already requested within the minute (nothing new sent)` : `attempt ${res.attempt} requested`],
        ]);
        ctx.print({ json: toJson(RetryOrderResponseSchema, res), text: `${text}\n(follow it with: t2m orders get ${orderId})` });
      });
  },
};
