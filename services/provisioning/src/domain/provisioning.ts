import type { FieldViolation } from "@t2m/platform";

export interface Customer {
  readonly customerId: string;
  readonly name: string;
  readonly email: string;
  readonly phone: string;
}

export interface SalesOrderRequest {
  readonly orderId: string;
  readonly customer: Customer;
  readonly line: {
    readonly sku: string;
    readonly name: string;
    readonly description: string;
    /** Unit price in major units (naira), as Zoho expects. */
    readonly rate: number;
    readonly currencyCode: string;
    readonly quantity: number;
  };
}

/** Where an order's sales order stands: made in Zoho (a draft), then confirmed. */
export type SalesOrderStatus = "created" | "confirmed";

/** What became of a sales order whose order failed (VoidSalesOrder). */
export interface SalesOrderDisposition {
  /** VOIDED in Zoho, or FLAGGED for a person when Zoho refused to void it. */
  readonly kind: "VOIDED" | "FLAGGED";
  /** Why the order failed, as the caller said (a failure code). */
  readonly reason: string;
  readonly at: Date;
  /** Zoho's refusal, for FLAGGED. */
  readonly detail?: string;
}

/** The Zoho sales order made for an order: one per order id, and one order per Zoho id. */
export interface SalesOrderRecord {
  readonly orderId: string;
  readonly zohoSalesOrderId: string;
  readonly zohoSalesOrderNumber: string;
  readonly zohoCustomerId: string;
  readonly createdAt: Date;
  /** Absent on records stored before confirming was a step of its own: those were confirmed. */
  readonly status?: SalesOrderStatus;
  readonly confirmedAt?: Date;
  readonly disposition?: SalesOrderDisposition;
}

export const isConfirmed = (record: SalesOrderRecord) => record.status === undefined || record.status === "confirmed";

export interface LicenceRequest {
  readonly orderId: string;
  readonly zohoSalesOrderId: string;
  readonly productId: string;
  readonly tenure: string;
  readonly tenureMonths: number;
  readonly customer: Customer;
}

/** A renewal's extension of a licence, as the licence provisioner is told it. */
export interface LicenceExtension {
  readonly activationReference: string;
  /** Repeats carry the same id. */
  readonly renewalOrderId: string;
  /** The subscription renewed (its first order's id) and what it is, for a person extending it by hand. */
  readonly subscriptionId: string;
  readonly productId: string;
  readonly customerId: string;
  readonly customerEmail: string;
  /** The renewal's sales order. */
  readonly zohoSalesOrderId: string;
  readonly tenure: string;
  readonly tenureMonths: number;
  readonly periodStart: Date;
  readonly expiryDate: Date;
}

/** A revocation, as the licence provisioner is told it. */
export interface LicenceRevocation {
  readonly activationReference: string;
  readonly reason: string;
  readonly revokedAt: Date;
}

/**
 * The licensing system (Zoho's Partner Store in production). Every call is
 * idempotent: a repeat (after a crash, or by another replica finishing a
 * change) changes nothing more.
 */
export interface LicenceProvisioner {
  /** Issues a licence; called with the order id so a repeat can be recognised. */
  provision(request: LicenceRequest): Promise<{ activationReference: string }>;
  extend(extension: LicenceExtension): Promise<void>;
  revoke(revocation: LicenceRevocation): Promise<void>;
}

export interface Stored<T> {
  find(orderId: string): Promise<T | undefined>;
  /** Stores the record; when one already exists for the order, returns that one instead. */
  insertOrGet(record: T): Promise<T>;
}

const required = (v: FieldViolation[], field: string, value: string) => {
  if (value.trim() === "") v.push({ field, description: "is required" });
};

export function validateSalesOrderRequest(r: SalesOrderRequest): FieldViolation[] {
  const v: FieldViolation[] = [];
  required(v, "order_id", r.orderId);
  required(v, "customer.name", r.customer.name);
  required(v, "customer.email", r.customer.email);
  required(v, "line.sku", r.line.sku);
  required(v, "line.name", r.line.name);
  if (!(r.line.rate >= 0)) v.push({ field: "line.rate", description: "must be zero or more" });
  if (!Number.isInteger(r.line.quantity) || r.line.quantity < 1) v.push({ field: "line.quantity", description: "must be at least 1" });
  return v;
}

export function validateLicenceRequest(r: LicenceRequest): FieldViolation[] {
  const v: FieldViolation[] = [];
  required(v, "order_id", r.orderId);
  required(v, "zoho_sales_order_id", r.zohoSalesOrderId);
  required(v, "product_id", r.productId);
  required(v, "tenure", r.tenure);
  if (!Number.isInteger(r.tenureMonths) || r.tenureMonths < 1 || r.tenureMonths > 120) {
    v.push({ field: "tenure_months", description: "must be between 1 and 120" });
  }
  required(v, "customer.customer_id", r.customer.customerId);
  return v;
}
