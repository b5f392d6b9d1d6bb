import { dayOf } from "./calendar.js";

/**
 * A subscription's statuses and the only moves between them:
 *
 *   (fulfilment) ──► ACTIVE ──(period end, no renewal)──► EXPIRED
 *                    │  ▲ │                                  │
 *                    │  └─┘ renewed (early: from the end)    │ renewed (from now)
 *                    │  ▲────────────────────────────────────┘
 *                    └──────────────► REVOKED ◄──────────────┘   (final)
 *
 * The seed's other statuses (PENDING, PROVISIONING, FAILED) belong to the
 * order before a subscription exists: its order is PENDING or PROCESSING,
 * and a FAILED order makes no subscription.
 */
export const SUBSCRIPTION_STATUSES = ["ACTIVE", "EXPIRED", "REVOKED"] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export type ChangeKind = "ACTIVATED" | "RENEWED" | "EXPIRED" | "REVOKED";

/**
 * A provisioned licence and its current period. Its id is the id of the
 * order that created it (`orderId`); every change makes a new version, kept
 * in the history (SubscriptionChange).
 */
export interface SubscriptionRecord {
  readonly orderId: string;
  readonly productId: string;
  /** The tenure of the current period. */
  readonly tenure: string;
  readonly tenureMonths: number;
  readonly customerId: string;
  readonly customerEmail: string;
  /** The sales order of the current period. */
  readonly zohoSalesOrderId: string;
  readonly activationReference: string;
  readonly status: SubscriptionStatus;
  /** The current period's start and end. */
  readonly startDate: Date;
  readonly expiryDate: Date;
  /** The Africa/Lagos day of expiryDate: the bucket the jobs find it by. */
  readonly expiryDay: string;
  /** Changes so far (1 once activated). */
  readonly version: number;
  readonly renewals: number;
  readonly revokedAt?: Date;
  readonly revocationReason?: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** One change: what caused it, and the subscription after it. */
export interface SubscriptionChange {
  readonly subscriptionId: string;
  readonly version: number;
  readonly kind: ChangeKind;
  readonly at: Date;
  /** The order that caused it: the first order, or a renewal order. */
  readonly orderId?: string;
  /** A revocation's reason. */
  readonly reason?: string;
  /** The period end before the change. */
  readonly previousExpiryDate?: Date;
  /** When its claim was stored (real time; `at` is the clock of whoever made it, a job's injected one included). */
  readonly recordedAt?: Date;
  readonly state: SubscriptionRecord;
}

const ALLOWED: Readonly<Record<SubscriptionStatus, readonly ChangeKind[]>> = {
  ACTIVE: ["RENEWED", "EXPIRED", "REVOKED"],
  EXPIRED: ["RENEWED", "REVOKED"],
  REVOKED: [],
};

export const canChange = (status: SubscriptionStatus, kind: ChangeKind): boolean => ALLOWED[status].includes(kind);

/** Why a change was refused. */
export class SubscriptionChangeRefused extends Error {
  constructor(
    readonly reason: "SUBSCRIPTION_REVOKED" | "NOT_DUE" | "INVALID_MOVE",
    message: string,
  ) {
    super(message);
    this.name = "SubscriptionChangeRefused";
  }
}

/**
 * Adds calendar months in UTC. A start on a day the target month lacks ends
 * on that month's last day (31 Jan + 1 month = 28/29 Feb), as billing
 * systems do, rather than spilling into the month after.
 */
export function addMonths(start: Date, months: number): Date {
  const result = new Date(start.getTime());
  const day = result.getUTCDate();
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}

/** What an activation starts from: the licence as provisioned for the first order. */
export interface Activation {
  readonly orderId: string;
  readonly productId: string;
  readonly tenure: string;
  readonly tenureMonths: number;
  readonly customerId: string;
  readonly customerEmail: string;
  readonly zohoSalesOrderId: string;
  readonly activationReference: string;
}

/** Version 1: ACTIVE for the tenure from `now`. */
export function activate(activation: Activation, now: Date): SubscriptionChange {
  const expiryDate = addMonths(now, activation.tenureMonths);
  const state: SubscriptionRecord = {
    ...activation,
    status: "ACTIVE",
    startDate: now,
    expiryDate,
    expiryDay: dayOf(expiryDate),
    version: 1,
    renewals: 0,
    createdAt: now,
    updatedAt: now,
  };
  return { subscriptionId: activation.orderId, version: 1, kind: "ACTIVATED", at: now, orderId: activation.orderId, state };
}

/**
 * The renewed period: it starts at the current end date, so an early
 * renewal loses no days, or at `now` when that end has passed (expired, or
 * past its end before the renewal-check job got to it).
 */
export function renewalPeriod(current: Pick<SubscriptionRecord, "expiryDate">, tenureMonths: number, now: Date): { start: Date; end: Date } {
  const start = current.expiryDate.getTime() > now.getTime() ? current.expiryDate : now;
  return { start, end: addMonths(start, tenureMonths) };
}

export interface Renewal {
  readonly renewalOrderId: string;
  readonly zohoSalesOrderId: string;
  readonly tenure: string;
  readonly tenureMonths: number;
}

export function renew(current: SubscriptionRecord, renewal: Renewal, now: Date): SubscriptionChange {
  if (current.status === "REVOKED") {
    throw new SubscriptionChangeRefused("SUBSCRIPTION_REVOKED", `subscription ${current.orderId} was revoked; it cannot be renewed`);
  }
  const { start, end } = renewalPeriod(current, renewal.tenureMonths, now);
  return next(current, "RENEWED", now, {
    orderId: renewal.renewalOrderId,
    changes: {
      status: "ACTIVE",
      tenure: renewal.tenure,
      tenureMonths: renewal.tenureMonths,
      zohoSalesOrderId: renewal.zohoSalesOrderId,
      startDate: start,
      expiryDate: end,
      expiryDay: dayOf(end),
      renewals: current.renewals + 1,
    },
  });
}

/** EXPIRED, for an ACTIVE subscription whose period has ended by `now`. */
export function expire(current: SubscriptionRecord, now: Date): SubscriptionChange {
  if (current.status !== "ACTIVE" || current.expiryDate.getTime() > now.getTime()) {
    throw new SubscriptionChangeRefused("NOT_DUE", `subscription ${current.orderId} is ${current.status} until ${current.expiryDate.toISOString()}`);
  }
  return next(current, "EXPIRED", now, { changes: { status: "EXPIRED" } });
}

export function revoke(current: SubscriptionRecord, reason: string, now: Date): SubscriptionChange {
  return next(current, "REVOKED", now, { reason, changes: { status: "REVOKED", revokedAt: now, revocationReason: reason } });
}

function next(
  current: SubscriptionRecord,
  kind: ChangeKind,
  at: Date,
  options: { orderId?: string; reason?: string; changes: Partial<SubscriptionRecord> },
): SubscriptionChange {
  if (!canChange(current.status, kind)) {
    throw new SubscriptionChangeRefused(current.status === "REVOKED" ? "SUBSCRIPTION_REVOKED" : "INVALID_MOVE", `subscription ${current.orderId} is ${current.status}; it cannot be ${kind.toLowerCase()}`);
  }
  const version = current.version + 1;
  return {
    subscriptionId: current.orderId,
    version,
    kind,
    at,
    ...(options.orderId ? { orderId: options.orderId } : {}),
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
    previousExpiryDate: current.expiryDate,
    state: { ...current, ...options.changes, version, updatedAt: at },
  };
}

/**
 * A stored subscription as the current code reads it. Records stored before
 * subscriptions had a history (no version) are version 1, filed under the
 * day of their expiry.
 */
export function normalise(stored: Omit<SubscriptionRecord, "version" | "expiryDay" | "renewals" | "updatedAt"> & Partial<SubscriptionRecord>): SubscriptionRecord {
  return {
    ...stored,
    version: stored.version ?? 1,
    expiryDay: stored.expiryDay ?? dayOf(stored.expiryDate),
    renewals: stored.renewals ?? 0,
    updatedAt: stored.updatedAt ?? stored.createdAt,
  };
}
