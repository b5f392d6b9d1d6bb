import type { CommandGroup } from "./command-group.js";
import { jobs } from "./jobs.js";
import { orders } from "./orders.js";
import { partners } from "./partners.js";
import { provisioning } from "./provisioning.js";
import { subscriptions } from "./subscriptions.js";
import { webhooks } from "./webhooks.js";

/** t2m's command groups, in the order --help lists them. A new group is a file beside these and a line here. */
export const COMMAND_GROUPS: readonly CommandGroup[] = [orders, subscriptions, webhooks, partners, provisioning, jobs];
