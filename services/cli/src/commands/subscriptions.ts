import { toJson } from "@bufbuild/protobuf";
import {
  ListCustomerSubscriptionsResponseSchema,
  LookupSubscriptionResponseSchema,
  RevokeSubscriptionResponseSchema,
  SubscriptionService,
} from "@t2m/proto/provisioning/v1/provisioning";
import { subscriptionFields, subscriptionTable } from "../domain/views.js";
import type { CommandGroup } from "./command-group.js";

export const subscriptions: CommandGroup = {
  name: "subscriptions",
  description: "Read and revoke subscriptions (SubscriptionService)",
  register(group, ctx) {
    group
      .command("get")
      .description("one subscription with its history")
      .argument("<reference>", "an activation reference, or the id of the order that created it")
      .action(async (reference: string) => {
        const res = await ctx.client(SubscriptionService).lookupSubscription({ reference });
        ctx.print({ json: toJson(LookupSubscriptionResponseSchema, res), text: res.subscription ? subscriptionFields(res.subscription) : "" });
      });

    group
      .command("list")
      .description("every subscription of a customer, oldest first")
      .requiredOption("--customer <customerId>", "the partner's customer id")
      .option("--partner <partnerId>", "only this partner's subscriptions")
      .action(async (opts: { customer: string; partner?: string }) => {
        const res = await ctx.client(SubscriptionService).listCustomerSubscriptions({ customerId: opts.customer, partnerId: opts.partner ?? "" });
        ctx.print({ json: toJson(ListCustomerSubscriptionsResponseSchema, res), text: subscriptionTable(res.subscriptions) });
      });

    group
      .command("revoke")
      .description("revoke a subscription (final; the licence provisioner is told and a SUBSCRIPTION_REVOKED webhook sent)")
      .argument("<reference>", "an activation reference, or the id of the order that created it")
      .requiredOption("--reason <text>", "why (kept in the history and sent in the webhook)")
      .action(async (reference: string, opts: { reason: string }) => {
        const res = await ctx.client(SubscriptionService).revokeSubscription({ reference, reason: opts.reason });
        const note = res.alreadyRevoked ? "(it was already revoked: nothing changed)\n" : "";
        ctx.print({ json: toJson(RevokeSubscriptionResponseSchema, res), text: note + (res.subscription ? subscriptionFields(res.subscription) : "") });
      });
  },
};
