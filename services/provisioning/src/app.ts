import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { Code, invalidArgument, reasonedError, type Database, type FieldViolation, type ServiceRuntime } from "@t2m/platform";
import { ProvisioningService, SalesOrderDisposition } from "@t2m/proto/provisioning/v1/provisioning";
import { openStores } from "./adapters/stores.js";
import { toSubscriptionMessage } from "./adapters/subscription-view.js";
import { createProvisioningMetrics, type ProvisioningMetrics } from "./adapters/metrics.js";
import { classifyFailure, ProvisioningReasons, toConnectError } from "./adapters/zoho-errors.js";
import type { CallContext } from "./domain/call-budget.js";
import {
  provisionLicenceOnce,
  validateLicenceRequest,
  validateSalesOrderRequest,
  type LicenceProvisioner,
} from "./domain/provisioning.js";
import { SalesOrders, type ZohoSalesOrderCalls } from "./domain/sales-orders.js";

export interface ProvisioningDependencies {
  readonly runtime: ServiceRuntime;
  readonly database: Database;
  /** Zoho Inventory (ZohoInventoryClient), its calls already going through the call budget. */
  readonly zoho: ZohoSalesOrderCalls;
  readonly licences: LicenceProvisioner;
  /** The longest an RPC waits for Zoho's call budget, over all its calls (ZOHO_BUDGET_MAX_WAIT_MS). */
  readonly maxWaitMs: number;
  /** Default: created on the runtime's registry. */
  readonly metrics?: ProvisioningMetrics;
  /** Most ids per bulk confirmation. Default 25. */
  readonly confirmBatchMax?: number;
}

const emptyCustomer = { customerId: "", name: "", email: "", phone: "" };

const dispositions = {
  NONE: SalesOrderDisposition.NONE,
  VOIDED: SalesOrderDisposition.VOIDED,
  FLAGGED: SalesOrderDisposition.FLAGGED,
} as const;

export async function createProvisioning(deps: ProvisioningDependencies) {
  const stores = await openStores(deps.database);
  const { logger } = deps.runtime;
  const metrics = deps.metrics ?? createProvisioningMetrics(deps.runtime.metrics.registry);
  const salesOrders = new SalesOrders({
    store: stores.salesOrders,
    contacts: stores.contacts,
    zoho: deps.zoho,
    logger,
    confirmBatchMax: deps.confirmBatchMax,
    onConfirmBatch: (size) => metrics.confirmBatchSize.observe(size),
    onFlagged: () => metrics.flagged.inc(),
  });

  /** An RPC's budget: served by `priority` (oldest order first), waiting at most maxWaitMs in all. */
  const budgetContext = (priority: number | undefined): CallContext => {
    const now = Date.now();
    return { priority: priority ?? now, deadline: now + deps.maxWaitMs };
  };

  /** Runs an operation, counting its result and mapping failures to the error contract. */
  const run = async <T>(operation: string, orderId: string, work: () => Promise<{ value: T; result: string }>): Promise<T> => {
    try {
      const { value, result } = await work();
      metrics.operations.inc({ operation, result });
      if (result !== "replayed") logger.info({ orderId, operation, result }, `${operation} done`);
      return value;
    } catch (err) {
      const failure = classifyFailure(err);
      // Waiting for the budget or for Zoho to settle is not a failure of the order.
      const waiting = failure?.code === Code.ResourceExhausted || failure?.code === Code.Aborted;
      metrics.operations.inc({ operation, result: waiting ? "deferred" : "failed" });
      if (failure?.reason === ProvisioningReasons.integrity) {
        metrics.integrityErrors.inc({ kind: "zoho_sales_order_id" });
        logger.error({ err, orderId, operation }, "integrity error: Zoho's answer clashes with another order's records");
      }
      throw failure ? toConnectError(failure) : err;
    }
  };

  const required = (violations: FieldViolation[], field: string, value: string) => {
    if (value.trim() === "") violations.push({ field, description: "is required" });
    return violations;
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
        const ctx = budgetContext(req.acceptedAt ? timestampMs(req.acceptedAt) : undefined);
        const record = await run("create_sales_order", request.orderId, async () => {
          const { record, replayed } = await salesOrders.create(request, ctx);
          return { value: record, result: replayed ? "replayed" : "created" };
        });
        return {
          zohoSalesOrderId: record.zohoSalesOrderId,
          zohoSalesOrderNumber: record.zohoSalesOrderNumber,
          zohoCustomerId: record.zohoCustomerId,
        };
      },
      voidSalesOrder: async (req) => {
        const violations = required([], "order_id", req.orderId);
        if (violations.length > 0) throw invalidArgument(violations);
        const outcome = await run("void_sales_order", req.orderId, async () => {
          const value = await salesOrders.void(req.orderId, req.reason, budgetContext(undefined));
          return { value, result: value.disposition.toLowerCase() };
        });
        return { disposition: dispositions[outcome.disposition], zohoSalesOrderId: outcome.zohoSalesOrderId };
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
          return { value, result: before !== undefined ? "replayed" : "created" };
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

  return { routes, metrics };
}
