import type { ConnectRouter } from "@connectrpc/connect";
import { Code, ConnectError, invalidArgument, reasonedError, type Database, type ServiceRuntime } from "@t2m/platform";
import { ProvisioningService } from "@t2m/proto/provisioning/v1/provisioning";
import { Counter } from "prom-client";
import {
  createSalesOrderOnce,
  provisionLicenceOnce,
  validateLicenceRequest,
  validateSalesOrderRequest,
  type LicenceProvisioner,
  type SalesOrderGateway,
} from "./domain/provisioning.js";
import { openStores } from "./adapters/stores.js";
import { toSubscriptionMessage } from "./adapters/subscription-view.js";

export interface ProvisioningDependencies {
  readonly runtime: ServiceRuntime;
  readonly database: Database;
  readonly zoho: SalesOrderGateway;
  readonly licences: LicenceProvisioner;
  /** Turns a Zoho failure into the ConnectError callers see (retryable → UNAVAILABLE). */
  readonly zohoError: (err: unknown) => ConnectError | undefined;
}

const emptyCustomer = { customerId: "", name: "", email: "", phone: "" };

export async function createProvisioning(deps: ProvisioningDependencies) {
  const stores = await openStores(deps.database);
  const { logger, metrics } = deps.runtime;
  const provisioned = new Counter({
    name: "t2m_provisioning_operations_total",
    help: "Sales orders and licences, by operation and result (created, replayed, failed)",
    labelNames: ["operation", "result"],
    registers: [metrics.registry],
  });

  /** Runs an operation, mapping Zoho failures; the replay flag tells whether anything new happened. */
  const run = async <T>(operation: string, orderId: string, work: () => Promise<{ value: T; replayed: boolean }>): Promise<T> => {
    try {
      const { value, replayed } = await work();
      provisioned.inc({ operation, result: replayed ? "replayed" : "created" });
      if (!replayed) logger.info({ orderId, operation }, `${operation} done`);
      return value;
    } catch (err) {
      provisioned.inc({ operation, result: "failed" });
      throw deps.zohoError(err) ?? err;
    }
  };

  const routes = (router: ConnectRouter) =>
    router.service(ProvisioningService, {
      createSalesOrder: async (req) => {
        const request = {
          orderId: req.orderId,
          customer: { ...emptyCustomer, ...req.customer },
          line: {
            sku: req.line?.sku ?? "",
            name: req.line?.name ?? "",
            description: req.line?.description ?? "",
            // Zoho takes decimal major units; minor units keep our own arithmetic exact.
            rate: Number(req.line?.rate?.amountMinor ?? 0n) / 100,
            currencyCode: req.line?.rate?.currencyCode ?? "",
            quantity: req.line?.quantity ?? 0,
          },
        };
        const violations = validateSalesOrderRequest(request);
        if (violations.length > 0) throw invalidArgument(violations);
        const record = await run("create_sales_order", request.orderId, async () => {
          const before = await stores.salesOrders.find(request.orderId);
          const value = await createSalesOrderOnce(request, { store: stores.salesOrders, zoho: deps.zoho, now: () => new Date() });
          return { value, replayed: before !== undefined };
        });
        return {
          zohoSalesOrderId: record.zohoSalesOrderId,
          zohoSalesOrderNumber: record.zohoSalesOrderNumber,
          zohoCustomerId: record.zohoCustomerId,
        };
      },
      provisionLicence: async (req) => {
        const request = {
          orderId: req.orderId,
          zohoSalesOrderId: req.zohoSalesOrderId,
          productId: req.productId,
          tenure: req.tenure,
          tenureMonths: req.tenureMonths,
          customer: { ...emptyCustomer, ...req.customer },
        };
        const violations = validateLicenceRequest(request);
        if (violations.length > 0) throw invalidArgument(violations);
        const subscription = await run("provision_licence", request.orderId, async () => {
          const before = await stores.subscriptions.find(request.orderId);
          const value = await provisionLicenceOnce(request, {
            store: stores.subscriptions,
            provisioner: deps.licences,
            now: () => new Date(),
          });
          return { value, replayed: before !== undefined };
        });
        return { subscription: toSubscriptionMessage(subscription) };
      },
      getSubscription: async (req) => {
        const subscription = req.orderId ? await stores.subscriptions.find(req.orderId) : undefined;
        if (!subscription) {
          throw reasonedError(Code.NotFound, "SUBSCRIPTION_NOT_FOUND", `no subscription for order "${req.orderId}"`);
        }
        return { subscription: toSubscriptionMessage(subscription) };
      },
    });

  return { routes };
}
