export type SubscriptionStatus = "ACTIVE" | "EXPIRED";

/** A provisioned licence. One per order. */
export interface SubscriptionRecord {
  readonly orderId: string;
  readonly productId: string;
  readonly tenure: string;
  readonly tenureMonths: number;
  readonly customerId: string;
  readonly customerEmail: string;
  readonly zohoSalesOrderId: string;
  readonly activationReference: string;
  readonly status: SubscriptionStatus;
  readonly startDate: Date;
  readonly expiryDate: Date;
  readonly createdAt: Date;
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
