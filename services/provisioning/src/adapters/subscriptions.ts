import type { Database, EventBus, Logger } from "@t2m/platform";
import type { LicenceProvisioner } from "../domain/provisioning.js";
import type { ChangeKind } from "../domain/subscription.js";
import { Subscriptions } from "../domain/subscriptions.js";
import { SubscriptionAnnouncer } from "./subscription-events.js";
import { MongoPendingRenewals, MongoReminderStore, MongoSubscriptionStore } from "./subscription-store.js";

export interface SubscriptionWiring {
  readonly database: Database;
  readonly events: Pick<EventBus, "publish">;
  readonly licences: LicenceProvisioner;
  readonly logger: Logger;
  readonly onChange?: (kind: ChangeKind) => void;
  /** Give old records a history (once per database); the service does, the jobs need not. */
  readonly backfill?: boolean;
}

/** Subscriptions on MongoDB and NATS, as the service and the jobs use them. */
export async function openSubscriptions(wiring: SubscriptionWiring) {
  const store = new MongoSubscriptionStore(wiring.database);
  const reminders = new MongoReminderStore(wiring.database);
  await store.ensureIndexes();
  await reminders.ensureIndexes();
  if (wiring.backfill) await store.backfill(wiring.logger);
  const pending = new MongoPendingRenewals(wiring.database);
  const announcer = new SubscriptionAnnouncer(wiring.events);
  const subscriptions = new Subscriptions({ store, pending, provisioner: wiring.licences, announcer, ...(wiring.onChange ? { onChange: wiring.onChange } : {}) });
  return { subscriptions, store, reminders, pending, announcer };
}

export type OpenSubscriptions = Awaited<ReturnType<typeof openSubscriptions>>;
