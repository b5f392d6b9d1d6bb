import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { Code, ConnectError, invalidArgument, reasonedError, type Database, type EventBus, type FieldViolation, type ServiceRuntime } from "@t2m/platform";
import { ProvisioningService, SalesOrderDisposition, SubscriptionService } from "@t2m/proto/provisioning/v1/provisioning";
import { openStores } from "./adapters/stores.js";
import { openSubscriptions } from "./adapters/subscriptions.js";
import { toSubscriptionMessage } from "./adapters/subscription-view.js";
import { createProvisioningMetrics, type ProvisioningMetrics } from "./adapters/metrics.js";
import { classifyFailure, ProvisioningReasons, toConnectError } from "./adapters/zoho-errors.js";
import type { CallContext } from "./domain/call-budget.js";
import { validateLicenceRequest, validateSalesOrderRequest, type LicenceProvisioner } from "./domain/provisioning.js";
import { SalesOrders, type ZohoSalesOrderCalls } from "./domain/sales-orders.js";
import { SubscriptionChangeRefused } from "./domain/subscription.js";
import { RenewalMismatch, SubscriptionNotFound } from "./domain/subscriptions.js";

export interface ProvisioningDependencies {
  readonly runtime: ServiceRuntime;
  readonly database: Database;
  /** Zoho Inventory (ZohoInventoryClient), its calls already going through the call budget. */
  readonly zoho: ZohoSalesOrderCalls;
  readonly licences: LicenceProvisioner;
  /** Where subscription events are published (the SUBSCRIPTIONS stream must be declared). */
  readonly events: Pick<EventBus, "publish">;
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
  const subscriptionStore = await openSubscriptions({
    database: deps.database,
    events: deps.events,
    licences: deps.licences,
    logger,
    backfill: true,
    onChange: (kind) => metrics.subscriptionChanges.inc({ kind }),
  });
  const { subscriptions } = subscriptionStore;
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
        // A failing renewal order is no longer a pending renewal of its subscription.
        await subscriptionStore.pending.remove(req.orderId);
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
          const { subscription: value, replayed } = await subscriptions.activate(request, new Date());
          return { value, result: replayed ? "replayed" : "created" };
        });
        return { subscription: toSubscriptionMessage(subscription) };
      },
      getSubscription: async (req) => {
        const subscription = req.orderId ? await subscriptions.current(req.orderId) : undefined;
        if (!subscription) {
          throw reasonedError(Code.NotFound, "SUBSCRIPTION_NOT_FOUND", `no subscription for order "${req.orderId}"`);
        }
        return { subscription: toSubscriptionMessage(subscription) };
      },
    });

  /** The subscription errors callers switch on (ErrorReason), from the domain's. */
  const subscriptionError = (err: unknown): unknown => {
    if (err instanceof SubscriptionNotFound) return reasonedError(Code.NotFound, "SUBSCRIPTION_NOT_FOUND", err.message);
    if (err instanceof RenewalMismatch) return reasonedError(Code.FailedPrecondition, "RENEWAL_MISMATCH", err.message);
    if (err instanceof SubscriptionChangeRefused) {
      return reasonedError(Code.FailedPrecondition, err.reason === "SUBSCRIPTION_REVOKED" ? "SUBSCRIPTION_REVOKED" : "SUBSCRIPTION_CHANGE_REFUSED", err.message);
    }
    return err;
  };
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw err instanceof ConnectError ? err : subscriptionError(err);
    }
  };

  const subscriptionRoutes = (router: ConnectRouter) =>
    router.service(SubscriptionService, {
      lookupSubscription: (req) =>
        guarded(async () => {
          if (!req.reference) throw invalidArgument([{ field: "reference", description: "is required" }]);
          const { subscription, history } = await subscriptions.lookup(req.reference, req.partnerId || undefined);
          return { subscription: toSubscriptionMessage(subscription, history) };
        }),
      listCustomerSubscriptions: (req) =>
        guarded(async () => {
          if (!req.customerId) throw invalidArgument([{ field: "customer_id", description: "is required" }]);
          return { subscriptions: (await subscriptions.ofCustomer(req.customerId, req.partnerId || undefined)).map((s) => toSubscriptionMessage(s)) };
        }),
      prepareRenewal: (req) =>
        guarded(async () => {
          const violations: FieldViolation[] = [];
          for (const [field, value] of [["renewal_order_id", req.renewalOrderId], ["reference", req.reference], ["product_id", req.productId], ["customer_id", req.customerId]] as const) {
            required(violations, field, value);
          }
          if (violations.length > 0) throw invalidArgument(violations);
          return { subscription: toSubscriptionMessage(await subscriptions.prepareRenewal(req, new Date())) };
        }),
      renewSubscription: (req) =>
        guarded(async () => {
          const violations: FieldViolation[] = [];
          for (const [field, value] of [["renewal_order_id", req.renewalOrderId], ["subscription_id", req.subscriptionId], ["zoho_sales_order_id", req.zohoSalesOrderId], ["tenure", req.tenure]] as const) {
            required(violations, field, value);
          }
          if (!Number.isInteger(req.tenureMonths) || req.tenureMonths < 1 || req.tenureMonths > 120) violations.push({ field: "tenure_months", description: "must be between 1 and 120" });
          if (violations.length > 0) throw invalidArgument(violations);
          const renewal = { renewalOrderId: req.renewalOrderId, zohoSalesOrderId: req.zohoSalesOrderId, tenure: req.tenure, tenureMonths: req.tenureMonths };
          const subscription = await run("renew_subscription", req.renewalOrderId, async () => {
            const value = await subscriptions.renew(req.subscriptionId, renewal, new Date());
            return { value, result: "renewed" };
          });
          return { subscription: toSubscriptionMessage(subscription) };
        }),
      revokeSubscription: (req) =>
        guarded(async () => {
          const violations = required([], "reference", req.reference);
          if (req.reason.trim() === "") violations.push({ field: "reason", description: "is required" });
          else if (req.reason.length > 500) violations.push({ field: "reason", description: "must be at most 500 characters" });
          if (violations.length > 0) throw invalidArgument(violations);
          const { subscription, alreadyRevoked } = await subscriptions.revoke(req.reference, req.reason.trim(), new Date(), req.partnerId || undefined);
          if (!alreadyRevoked) logger.info({ subscriptionId: subscription.orderId, reason: subscription.revocationReason }, "subscription revoked");
          const { history } = await subscriptions.lookup(subscription.orderId);
          return { subscription: toSubscriptionMessage(subscription, history), alreadyRevoked };
        }),
    });

  return {
    routes: (router: ConnectRouter) => {
      routes(router);
      subscriptionRoutes(router);
    },
    metrics,
    subscriptions,
  };
}
