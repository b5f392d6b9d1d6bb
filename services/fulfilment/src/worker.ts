import { ack, decodeIf, nak, term, type Disposition, type Logger, type ReceivedMessage } from "@t2m/platform";
import { OrderEvents } from "@t2m/topology";
import { setTimeout as sleep } from "node:timers/promises";
import { runAttempt, type AttemptPorts } from "./domain/fulfil-order.js";
import { startAttempt } from "./domain/lifecycle.js";
import type { OrderRecord } from "./domain/order.js";
import type { FulfilmentRetryPolicy } from "./domain/retry-policy.js";
import { planAfterClash, planWork, type WorkRequest } from "./domain/work.js";
import { fromAcceptedOrder } from "./adapters/accepted-order.js";
import type { OrderAnnouncer } from "./adapters/announcer.js";
import type { OrderStore } from "./adapters/order-store.js";
import type { FulfilmentMetrics } from "./metrics.js";

export interface OrderWorkerOptions {
  readonly store: OrderStore;
  readonly announcer: OrderAnnouncer;
  /** Provisioning's steps and the failure classification. */
  readonly steps: Pick<AttemptPorts, "createSalesOrder" | "provisionLicence" | "voidSalesOrder" | "classify">;
  readonly policy: FulfilmentRetryPolicy;
  /** How long an attempt holds its order without renewing. */
  readonly leaseMs: number;
  readonly metrics: FulfilmentMetrics;
  readonly logger: Logger;
  /** Told when an attempt scheduled a retry, so the retry can be published on time from this process. */
  readonly onRetryScheduled: (orderId: string, attempt: number, dueAt: Date) => void;
}

/**
 * Handles the work messages of fulfilment (OrderSubmitted and OrderRetryDue):
 * claims the order's next attempt, runs it, stores the result and announces
 * the outcome. It holds each message only while it works on it (waits for
 * Zoho's budget included); a retry is stored with the order and the message
 * acked, so nothing waits in backoff inside JetStream.
 */
export class OrderWorker {
  private readonly stopping = new AbortController();

  constructor(private readonly options: OrderWorkerOptions) {}

  handleSubmitted = async (message: ReceivedMessage): Promise<Disposition> => {
    const event = decodeIf(OrderEvents.submitted, message);
    if (!event?.orderId) return term(`not an OrderSubmitted event: ${message.subject}`);
    // On its first delivery the event carries the order as stored: nothing can have changed it
    // unless someone else claimed attempt 1, and then the claim fails and the order is read.
    const accepted = message.deliveryCount === 1 ? fromAcceptedOrder(event.order) : undefined;
    return this.work({ orderId: event.orderId, attempt: 1, cause: "submitted", deliveryCount: message.deliveryCount }, accepted);
  };

  handleRetryDue = async (message: ReceivedMessage): Promise<Disposition> => {
    const event = decodeIf(OrderEvents.retryDue, message);
    if (!event?.orderId || event.attempt < 1) return term(`not an OrderRetryDue event: ${message.subject}`);
    const cause = event.cause === "redrive" ? "redrive" : "retry";
    return this.work({ orderId: event.orderId, attempt: event.attempt, cause, deliveryCount: message.deliveryCount });
  };

  /** Makes attempts in progress give their messages back (their orders are taken over after the lease). */
  stop(): void {
    this.stopping.abort(new Error("the worker is stopping"));
  }

  private async work(request: WorkRequest, accepted?: OrderRecord): Promise<Disposition> {
    const { store, metrics } = this.options;
    const log = this.options.logger.child({ orderId: request.orderId, cause: request.cause, delivery: request.deliveryCount });
    if (accepted) {
      const now = new Date();
      const leaseUntil = new Date(now.getTime() + this.options.leaseMs);
      if (await store.claimAttempt(accepted.orderId, 1, now, leaseUntil)) return this.run(accepted, 1, leaseUntil, log);
      // Someone else has it (a duplicate, a re-drive): decide from what is stored.
    }
    const order = await store.findById(request.orderId);
    if (!order) {
      // Intake stores the order before publishing, so this is not a race; keep it visible.
      log.error("work for an order that does not exist");
      return term("unknown order");
    }
    const now = new Date();
    const plan = planWork(order, request, now);
    switch (plan.action) {
      case "announce":
        await this.options.announcer.announceOutcome(order);
        return ack();
      case "drop":
        metrics.workDropped.inc({ why: plan.why });
        log.debug({ why: plan.why }, "work dropped");
        return ack();
      case "retry-later":
        return nak(plan.delayMs);
      case "claim":
        break;
    }

    let attempt = plan.attempt;
    for (let tries = 0; ; tries++) {
      const leaseUntil = new Date(now.getTime() + this.options.leaseMs);
      if (await store.claimAttempt(order.orderId, attempt, now, leaseUntil)) return this.run(order, attempt, leaseUntil, log);
      const claim = await store.findClaim(order.orderId, attempt);
      const clash = claim ? planAfterClash(order, claim, request, now) : ({ action: "drop" } as const);
      if (clash.action === "drop" || tries >= 3) {
        metrics.workDropped.inc({ why: "attempt claimed elsewhere" });
        return ack();
      }
      if (clash.action === "retry-later") return nak(clash.delayMs);
      attempt = clash.attempt;
    }
  }

  private async run(claimed: OrderRecord, attempt: number, leaseUntil: Date, log: Logger): Promise<Disposition> {
    const { store, metrics, leaseMs } = this.options;
    let order = startAttempt(claimed, attempt, new Date(), leaseUntil);
    // The claim's own lease covers the attempt's start, so PROCESSING is written only once the
    // attempt lasts (the first renewal): a quick attempt costs a single write, its result.
    let started = false;
    let renewing: Promise<void> = Promise.resolve();
    const renew = setInterval(() => {
      const lease = new Date(Date.now() + leaseMs);
      renewing = renewing
        .then(() => (started ? store.renewLease(order.orderId, lease) : store.save({ ...order, leaseUntil: lease }).then(() => void (started = true))))
        .catch((err: unknown) => log.warn({ err }, "could not renew the attempt's lease"));
    }, Math.max(1_000, Math.floor(leaseMs / 3)));
    let outcome;
    try {
      outcome = await runAttempt(
        order,
        {
          ...this.options.steps,
          waitForBudget: (ms) => sleep(ms, undefined, { signal: this.stopping.signal }),
          now: () => new Date(),
          random: Math.random,
        },
        this.options.policy,
      );
    } catch (err) {
      clearInterval(renew);
      await renewing;
      if (!this.stopping.signal.aborted) throw err;
      // Stopping while waiting for Zoho's budget: let the next worker take the order over at once.
      const now = new Date();
      await Promise.all([
        store.releaseClaim(order.orderId, attempt, now),
        started ? store.renewLease(order.orderId, now) : Promise.resolve(),
      ]).catch(() => undefined);
      return nak(0);
    }
    clearInterval(renew);
    // A renewal still under way must land before the result, or its rewrite could undo it.
    await renewing;
    order = outcome.order;
    await store.save(order);
    if (outcome.budgetWaitMs > 0) metrics.budgetWaitSeconds.observe(outcome.budgetWaitMs / 1000);
    if (outcome.kind === "retry" && outcome.after === "manual") {
      // Waiting for an operator is not a failed step: no retry is counted.
      log.debug({ attempt, nextCheckAt: order.nextAttemptAt, waitingSince: order.manualWaitSince }, "licence waits in the manual queue; checking again later");
      this.options.onRetryScheduled(order.orderId, attempt + 1, order.nextAttemptAt!);
      return ack();
    }
    if (outcome.kind === "retry") {
      metrics.stepRetries.inc({ kind: outcome.after });
      log.warn({ attempt, error: order.lastError, retryAt: order.nextAttemptAt }, "order attempt failed; retry scheduled");
      this.options.onRetryScheduled(order.orderId, attempt + 1, order.nextAttemptAt!);
      return ack();
    }
    metrics.ordersFinished.inc({ status: order.status, product: order.productId, failure_code: order.failureCode ?? "" });
    metrics.fulfilmentSeconds.observe({ status: order.status }, (Date.now() - order.createdAt.getTime()) / 1000);
    if (order.status === "FULFILLED") log.info({ attempt, zohoSalesOrderId: order.zohoSalesOrderId }, "order fulfilled");
    else log.warn({ attempt, failureCode: order.failureCode, detail: order.failureDetail, salesOrder: order.salesOrderDisposition }, "order failed");
    await this.options.announcer.announceOutcome(order);
    return ack();
  }
}
