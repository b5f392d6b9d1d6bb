import { isFinal, type OrderRecord } from "./order.js";

export interface SalesOrderResult {
  readonly zohoSalesOrderId: string;
  readonly zohoSalesOrderNumber: string;
  readonly zohoCustomerId: string;
}

export interface LicenceResult {
  readonly activationReference: string;
  readonly expiryDate: Date;
}

/** Why a step failed, and whether trying again could help. */
export interface StepFailure {
  readonly permanent: boolean;
  readonly message: string;
}

export interface FulfilOrderPorts {
  load(orderId: string): Promise<OrderRecord | undefined>;
  /** PENDING or PROCESSING → PROCESSING; counts the attempt. */
  markProcessing(orderId: string, at: Date): Promise<OrderRecord>;
  recordSalesOrder(orderId: string, result: SalesOrderResult, at: Date): Promise<OrderRecord>;
  recordLicence(orderId: string, result: LicenceResult, at: Date): Promise<OrderRecord>;
  markFulfilled(orderId: string, at: Date): Promise<OrderRecord>;
  markFailed(orderId: string, reason: string, at: Date): Promise<OrderRecord>;
  /** Both steps are idempotent on the order id, so repeating one after a crash has no second effect. */
  createSalesOrder(order: OrderRecord): Promise<SalesOrderResult>;
  provisionLicence(order: OrderRecord): Promise<LicenceResult>;
  /** Publishes OrderFulfilled or OrderFailed and records that it was. */
  announceOutcome(order: OrderRecord): Promise<void>;
  classify(err: unknown): StepFailure;
  now(): Date;
}

export interface Delivery {
  /** 1 on the first attempt. */
  readonly deliveryCount: number;
  /** True when no further attempt will follow a retry. */
  readonly lastDelivery: boolean;
}

export type FulfilmentResult =
  | { readonly kind: "completed"; readonly order: OrderRecord }
  | { readonly kind: "retry"; readonly delayMs: number; readonly error: string }
  | { readonly kind: "unknown-order" };

/** Backoff between attempts after a transient failure: 2 s, 4 s, 8 s … capped at 5 min. */
export function retryDelayMs(deliveryCount: number): number {
  return Math.min(300_000, 2_000 * 2 ** Math.max(0, deliveryCount - 1));
}

/**
 * Drives one order as far as it can go. Each step's result is stored before
 * the next begins, so an attempt after a crash resumes where the last one
 * stopped and never repeats a step that already took effect.
 */
export async function fulfilOrder(orderId: string, delivery: Delivery, ports: FulfilOrderPorts): Promise<FulfilmentResult> {
  let order = await ports.load(orderId);
  if (!order) return { kind: "unknown-order" };

  if (!isFinal(order.status)) {
    order = await ports.markProcessing(orderId, ports.now());
    try {
      if (!order.zohoSalesOrderId) {
        order = await ports.recordSalesOrder(orderId, await ports.createSalesOrder(order), ports.now());
      }
      if (!order.activationReference) {
        order = await ports.recordLicence(orderId, await ports.provisionLicence(order), ports.now());
      }
      order = await ports.markFulfilled(orderId, ports.now());
    } catch (err) {
      const failure = ports.classify(err);
      if (!failure.permanent && !delivery.lastDelivery) {
        return { kind: "retry", delayMs: retryDelayMs(delivery.deliveryCount), error: failure.message };
      }
      const reason = failure.permanent
        ? failure.message
        : `gave up after ${delivery.deliveryCount} attempts: ${failure.message}`;
      order = await ports.markFailed(orderId, reason, ports.now());
    }
  }

  // Also reached on a redelivery after a crash between the final status and the announcement.
  if (!order.outcomePublishedAt) await ports.announceOutcome(order);
  return { kind: "completed", order };
}
