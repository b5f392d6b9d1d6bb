import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { Code, ConnectError, invalidArgument, reasonedError, type Database, type EventBus, type FieldViolation, type ServiceRuntime } from "@t2m/platform";
import { ProvisioningService, SalesOrderDisposition, SubscriptionService } from "@t2m/proto/provisioning/v1/provisioning";
import { LicenceTaskService } from "@t2m/proto/provisioning/v1/licence_tasks";
import { MongoLicenceTaskStore } from "./adapters/licence-task-store.js";
import { fromTaskStateMessage, toLicenceTaskMessage } from "./adapters/licence-task-view.js";
import { openStores } from "./adapters/stores.js";
import { openSubscriptions } from "./adapters/subscriptions.js";
import { toSubscriptionMessage } from "./adapters/subscription-view.js";
import { createProvisioningMetrics, type ProvisioningMetrics } from "./adapters/metrics.js";
import { classifyFailure, ProvisioningReasons, toConnectError } from "./adapters/zoho-errors.js";
import type { CallContext } from "./domain/call-budget.js";
import { validateLicenceRequest, validateSalesOrderRequest, type LicenceProvisioner } from "./domain/provisioning.js";
import {
  InvalidPageToken,
  LicenceTaskConflict,
  LicenceTaskNotFound,
  LicenceTaskQueue,
  validateCompletion,
  validateFailure,
  type LicenceTaskStore,
} from "./domain/licence-tasks.js";
import { SalesOrders, type ZohoSalesOrderCalls } from "./domain/sales-orders.js";
import { SubscriptionChangeRefused } from "./domain/subscription.js";
import { RenewalMismatch, SubscriptionNotFound } from "./domain/subscriptions.js";

export interface ProvisioningDependencies {
  readonly runtime: ServiceRuntime;
  readonly database: Database;
  /** Zoho Inventory (ZohoInventoryClient), its calls already going through the call budget. */
  readonly zoho: ZohoSalesOrderCalls;
  readonly licences: LicenceProvisioner;
  /** The manual licence queue's store (the manual provisioner's, when it runs). Default: licence_tasks in `database`. */
  readonly licenceTasks?: LicenceTaskStore;
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
  const licenceTasks = new LicenceTaskQueue(deps.licenceTasks ?? (await MongoLicenceTaskStore.open(deps.database)));
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
      const waiting = failure?.code === Code.ResourceExhausted || failure?.code === Code.Aborted || failure?.reason === ProvisioningReasons.licencePendingManual;
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
        // Nor is a failing order's licence an operator's to-do any more (e.g. it gave up waiting for one).
        const abandoned = await licenceTasks.abandon(req.orderId, `the order failed (${req.reason || "no reason given"}) before an operator provisioned its licence`);
        if (abandoned) {
          metrics.licenceTasksFinished.inc({ state: "FAILED", by: "order" });
          logger.warn({ orderId: req.orderId, reason: req.reason }, "licence task abandoned: its order failed while it waited");
        }
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

  /** The licence queue's errors, from the domain's. */
  const taskError = (err: unknown): unknown => {
    if (err instanceof LicenceTaskNotFound) return reasonedError(Code.NotFound, "LICENCE_TASK_NOT_FOUND", err.message);
    if (err instanceof LicenceTaskConflict) return reasonedError(Code.FailedPrecondition, "LICENCE_TASK_CONFLICT", err.message);
    if (err instanceof InvalidPageToken) return invalidArgument([{ field: "page_token", description: "is not one this listing gave for this state" }]);
    return err;
  };
  const taskGuarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw err instanceof ConnectError ? err : taskError(err);
    }
  };

  const licenceTaskRoutes = (router: ConnectRouter) =>
    router.service(LicenceTaskService, {
      listLicenceTasks: (req) =>
        taskGuarded(async () => {
          const state = fromTaskStateMessage(req.state);
          const violations: FieldViolation[] = [];
          if (!state) violations.push({ field: "state", description: "must be WAITING, COMPLETED or FAILED" });
          if (!Number.isInteger(req.pageSize) || req.pageSize < 0 || req.pageSize > 500) violations.push({ field: "page_size", description: "must be between 1 and 500 (0: 100)" });
          if (violations.length > 0 || !state) throw invalidArgument(violations);
          const { tasks, nextPageToken } = await licenceTasks.list(state, req.pageSize || 100, req.pageToken);
          return { tasks: tasks.map(toLicenceTaskMessage), nextPageToken };
        }),
      completeLicenceTask: (req) =>
        taskGuarded(async () => {
          const violations = validateCompletion(req.orderId, req.activationReference);
          if (violations.length > 0) throw invalidArgument(violations);
          const { task, already } = await licenceTasks.complete(req.orderId, req.activationReference);
          if (!already) {
            metrics.licenceTasksFinished.inc({ state: "COMPLETED", by: "operator" });
            logger.info({ orderId: task.orderId, kind: task.kind, activationReference: task.activationReference }, "licence task completed by an operator");
          }
          return { task: toLicenceTaskMessage(task), alreadyCompleted: already };
        }),
      failLicenceTask: (req) =>
        taskGuarded(async () => {
          const violations = validateFailure(req.orderId, req.reason);
          if (violations.length > 0) throw invalidArgument(violations);
          const { task, already } = await licenceTasks.fail(req.orderId, req.reason.trim());
          if (!already) {
            metrics.licenceTasksFinished.inc({ state: "FAILED", by: "operator" });
            logger.warn({ orderId: task.orderId, kind: task.kind, reason: task.failureReason }, "licence task failed by an operator");
          }
          return { task: toLicenceTaskMessage(task), alreadyFailed: already };
        }),
    });

  return {
    routes: (router: ConnectRouter) => {
      routes(router);
      subscriptionRoutes(router);
      licenceTaskRoutes(router);
    },
    metrics,
    subscriptions,
  };
}
