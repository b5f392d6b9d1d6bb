// What the subscription jobs share: their wiring from the provisioning
// service's configuration, the last successful run (to catch up on missed
// days), and a small worker pool that stops taking items on SIGTERM.
import { JobRunsReader, serviceClient, type JobContext } from "@t2m/platform";
import { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import { FulfilmentService, OrderStatus } from "@t2m/proto/fulfilment/v1/fulfilment";
import { MongoLicenceLog, SandboxLicenceProvisioner } from "../adapters/sandbox-licence-provisioner.js";
import { openSubscriptions } from "../adapters/subscriptions.js";
import type { ProvisioningConfig } from "../config.js";
import { dayOf } from "../domain/calendar.js";

/** The Lagos day of the job's last successful run (by its clock), if any. */
export async function lastSuccessDay(ctx: Pick<JobContext, "database" | "name">): Promise<string | undefined> {
  const status = await new JobRunsReader(ctx.database).status(ctx.name);
  return status.lastSuccess ? dayOf(status.lastSuccess.clockAt) : undefined;
}

/** Runs `work` over `items`, `concurrency` at a time; stops taking items once `signal` is aborted. */
export async function eachLimited<T>(items: readonly T[], concurrency: number, signal: AbortSignal, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
      while (!signal.aborted && next < items.length) await work(items[next++]!);
    }),
  );
}

/** A renewal price: minor units of a currency. */
export interface Price {
  readonly currencyCode: string;
  readonly amountMinor: number;
}

/** The catalogue's renewal prices, fetched once per run and only when a reminder needs one. */
export function catalogueRenewalPrices(catalogue: Pick<ReturnType<typeof serviceClient<typeof CatalogueService>>, "listProducts">) {
  let loaded: Promise<Map<string, Price>> | undefined;
  return async (productId: string, tenure: string): Promise<Price | undefined> => {
    loaded ??= catalogue.listProducts({}).then(({ products }) => {
      const prices = new Map<string, Price>();
      for (const p of products) {
        for (const t of p.tenures) {
          const price = t.renewalPrice ?? t.price;
          if (price) prices.set(`${p.productId}/${t.tenure}`, { currencyCode: price.currencyCode, amountMinor: Number(price.amountMinor) });
        }
      }
      return prices;
    });
    return (await loaded).get(`${productId}/${tenure}`);
  };
}

/** Where a renewal order stands, as fulfilment says. */
export interface RenewalOrderState {
  readonly status: "PENDING" | "PROCESSING" | "FULFILLED" | "FAILED" | "UNKNOWN";
  readonly renewsSubscriptionId: string;
}

export interface RenewalOrders {
  /** Undefined when fulfilment has no such order. */
  find(orderId: string): Promise<RenewalOrderState | undefined>;
}

const STATUS: Record<number, RenewalOrderState["status"]> = {
  [OrderStatus.PENDING]: "PENDING",
  [OrderStatus.PROCESSING]: "PROCESSING",
  [OrderStatus.FULFILLED]: "FULFILLED",
  [OrderStatus.FAILED]: "FAILED",
};

export function fulfilmentRenewalOrders(client: ReturnType<typeof serviceClient<typeof FulfilmentService>>): RenewalOrders {
  return {
    find: async (orderId) => {
      try {
        const { order } = await client.getOrder({ orderId });
        return order ? { status: STATUS[order.status] ?? "UNKNOWN", renewsSubscriptionId: order.renewsSubscriptionId } : undefined;
      } catch (err) {
        if ((err as { code?: number }).code === 5) return undefined; // NOT_FOUND
        throw err;
      }
    },
  };
}

/** Subscriptions, the catalogue and fulfilment, as a job of the provisioning service uses them. */
export async function jobWiring(ctx: JobContext, config: ProvisioningConfig) {
  if (!ctx.events) throw new Error(`job ${ctx.name} needs NATS`);
  const opened = await openSubscriptions({
    database: ctx.database,
    events: ctx.events,
    licences: new SandboxLicenceProvisioner(config.SANDBOX_LICENCE_KEY!, new MongoLicenceLog(ctx.database)),
    logger: ctx.logger,
  });
  return {
    ...opened,
    prices: catalogueRenewalPrices(serviceClient(CatalogueService, { baseUrl: config.CATALOGUE_URL, metrics: ctx.metrics, token: config.RPC_TOKEN_PROVISIONING })),
    orders: fulfilmentRenewalOrders(serviceClient(FulfilmentService, { baseUrl: config.FULFILMENT_URL, metrics: ctx.metrics, token: config.RPC_TOKEN_PROVISIONING })),
  };
}
