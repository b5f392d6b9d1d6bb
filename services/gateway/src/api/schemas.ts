// The REST API's schemas (zod). The gateway validates requests and shapes
// responses with exactly these, and the OpenAPI document is generated from
// them (api/openapi.ts), so the published contract cannot drift from what
// the routes do. Order field rules come from @t2m/topology, which fulfilment
// enforces as well.
import { fieldProblem, IdempotencyKeyRule, OrderFieldRules, RenewsRule, type FieldRule } from "@t2m/topology";
import { z } from "zod";
import { ProblemTypes } from "../domain/problem.js";

/** Every named schema, as components.schemas of the OpenAPI document. */
export const schemas = z.registry<{ id: string; description?: string }>();
const named = <T extends z.ZodType>(id: string, schema: T, description?: string): T => {
  schemas.add(schema, { id, ...(description ? { description } : {}) });
  return schema;
};

const typeName = (input: unknown) => (input === null ? "null" : Array.isArray(input) ? "an array" : typeof input === "object" ? "an object" : `a ${typeof input}`);

/** A required string under one of the contract's rules, with the same messages fulfilment gives. */
function ruled(rule: FieldRule, description: string) {
  return z
    .string({ error: (issue) => (issue.input === undefined || issue.input === null ? "is required" : `must be a string, not ${typeName(issue.input)}`) })
    .check((ctx) => {
      const problem = fieldProblem(rule, ctx.value);
      if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
    })
    .meta({ description, maxLength: rule.maxLength, minLength: 1, pattern: rule.pattern.source, examples: [rule.example] });
}

const timestamp = (description: string) => z.iso.datetime().nullable().meta({ description });

export const Money = named(
  "Money",
  z.object({
    currency: z.string().meta({ description: "ISO 4217 code", examples: ["NGN"] }),
    amount: z.string().regex(/^-?\d+\.\d{2}$/).meta({ description: "Decimal amount with two decimals, as a string (no floating point)", examples: ["216000.00"] }),
  }),
  "An amount of money",
);

export const ORDER_STATUSES = ["PENDING", "PROCESSING", "FULFILLED", "FAILED"] as const;

export const Order = named(
  "Order",
  z.object({
    orderId: z.string().meta({ description: "Your order id" }),
    status: z.enum([...ORDER_STATUSES, "UNKNOWN"]).meta({ description: "PENDING → PROCESSING → FULFILLED | FAILED; FULFILLED and FAILED are final" }),
    productId: z.string(),
    tenure: z.string(),
    customerId: z.string().nullable(),
    customerName: z.string().nullable(),
    customerEmail: z.string().nullable(),
    customerPhone: z.string().nullable(),
    price: Money.nullable().meta({ description: "The tenure's price when the order was accepted" }),
    zohoSalesOrderId: z.string().nullable(),
    activationReference: z.string().nullable().meta({ description: "The licence's activation reference, once FULFILLED" }),
    expiryDate: timestamp("When the licence expires, once FULFILLED"),
    failureCode: z
      .enum(["PRODUCT_UNAVAILABLE", "ORDER_REJECTED", "PROVISIONING_FAILED", "SUBSCRIPTION_REVOKED", "TIMED_OUT", "INTERNAL_ERROR"])
      .nullable()
      .meta({ description: "Set when FAILED: a stable code (see the README's failure codes)" }),
    failureReason: z.string().nullable().meta({ description: "Set when FAILED: the code's fixed, human-readable message" }),
    createdAt: timestamp("When the order was accepted"),
    updatedAt: timestamp("When the order last changed"),
    fulfilledAt: timestamp("When it was fulfilled"),
    failedAt: timestamp("When it failed"),
    renews: z.string().nullable().meta({ description: "For a renewal order: the subscription it renews (its first order's id); null otherwise" }),
  }),
  "An order as you read it: absent values are null, so the shape never varies",
);

export const SubmittedOrder = named(
  "SubmittedOrder",
  Order.extend({
    isDuplicate: z.boolean().meta({ description: "true when this answers a repeat of an earlier request with the same Idempotency-Key (the first response's order)" }),
  }),
  "The answer to POST /t2mobile/fulfilment",
);

export const OrderList = named(
  "OrderList",
  z.object({
    orders: z.array(Order),
    nextCursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null when there is nothing more (yet)" }),
  }),
  "A page of your orders, oldest change first",
);

export const Product = named(
  "Product",
  z.object({
    productId: z.string(),
    name: z.string(),
    description: z.string(),
    tenures: z.array(z.object({ tenure: z.string(), months: z.number().int(), price: Money.nullable() })),
  }),
);

export const ProductList = named("ProductList", z.object({ products: z.array(Product) }), "The catalogue");

export const Health = named(
  "Health",
  z.object({
    status: z.enum(["ok", "unavailable"]),
    checks: z.record(z.string(), z.string()).meta({ description: "Each dependency: \"ok\" or what is wrong" }),
  }),
);

export const PROBLEM_CODES = Object.keys(ProblemTypes) as Array<keyof typeof ProblemTypes>;

export const Problem = named(
  "Problem",
  z.object({
    type: z.url().meta({ description: "A URI naming the problem type; one per code" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(PROBLEM_CODES as [string, ...string[]]).meta({ description: "Stable, machine-readable: switch on this" }),
    instance: z.string().optional(),
    errors: z
      .array(z.object({ field: z.string(), detail: z.string() }))
      .optional()
      .meta({ description: "INVALID_REQUEST: one entry per field that is wrong" }),
    traceId: z.string().optional().meta({ description: "Quote it to IconTech support" }),
  }),
  "RFC 9457 problem details (application/problem+json)",
);

/** The body of POST /t2mobile/fulfilment: exactly these fields (others are refused), each a string under its rule. */
export const OrderRequest = named(
  "OrderRequest",
  z.strictObject(
    {
      orderId: ruled(OrderFieldRules.orderId, "Your id for the order; unique among your orders"),
      productId: ruled(OrderFieldRules.productId, "A productId from GET /t2mobile/products"),
      customerId: ruled(OrderFieldRules.customerId, "Your id for the subscriber"),
      customerName: ruled(OrderFieldRules.customerName, "The subscriber's name"),
      customerEmail: ruled(OrderFieldRules.customerEmail, "The subscriber's email"),
      customerPhone: ruled(OrderFieldRules.customerPhone, "The subscriber's phone number"),
      tenure: ruled(OrderFieldRules.tenure, "One of the product's tenures"),
      renews: ruled(RenewsRule, "For a renewal only: the subscription renewed, by its activation reference or the id of the order that created it. The new period starts at the subscription's current end (or now, if it has already expired); the order is priced at the tenure's renewal price").optional(),
    },
    { error: (issue) => (issue.code === "unrecognized_keys" ? "is not a field of an order" : issue.input === undefined ? "is required" : `must be a JSON object, not ${typeName(issue.input)}`) },
  ),
  "An order to place",
);

// ---- subscriptions

const SUBSCRIPTION_STATUSES = ["ACTIVE", "EXPIRED", "REVOKED", "UNKNOWN"] as const;

export const SubscriptionChange = named(
  "SubscriptionChange",
  z.object({
    version: z.number().int().meta({ description: "1 for the activation, then one more per change" }),
    change: z.enum(["ACTIVATED", "RENEWED", "EXPIRED", "REVOKED", "UNKNOWN"]),
    status: z.enum(SUBSCRIPTION_STATUSES).meta({ description: "The subscription's status after the change" }),
    tenure: z.string(),
    periodStart: timestamp("The period's start after the change"),
    periodEnd: timestamp("The period's end after the change"),
    orderId: z.string().nullable().meta({ description: "The order that caused it (the first order; a renewal order); null for an expiry or a revocation" }),
    reason: z.string().nullable().meta({ description: "A revocation's reason" }),
    at: timestamp("When the change was made"),
  }),
  "One change of a subscription, as its history keeps it",
);

const subscriptionFields = {
  orderId: z.string().meta({ description: "The id of the order that created the subscription (your id)" }),
  activationReference: z.string(),
  status: z.enum(SUBSCRIPTION_STATUSES).meta({ description: "ACTIVE until its end date, then EXPIRED unless renewed first; REVOKED when cancelled" }),
  productId: z.string(),
  tenure: z.string(),
  customerId: z.string(),
  customerEmail: z.string().nullable(),
  zohoSalesOrderId: z.string().nullable().meta({ description: "The Zoho sales order of the first order" }),
  startDate: timestamp("The current period's start"),
  expiryDate: timestamp("The current period's end"),
  renewals: z.number().int().meta({ description: "How many times it was renewed" }),
  revokedAt: timestamp("When it was revoked"),
  revocationReason: z.string().nullable(),
  createdAt: timestamp("When it was activated"),
  updatedAt: timestamp("When it last changed"),
};

export const Subscription = named(
  "Subscription",
  z.object({ ...subscriptionFields, history: z.array(SubscriptionChange).meta({ description: "Every change, oldest first" }) }),
  "A subscription with its history",
);

export const RevokedSubscription = named(
  "RevokedSubscription",
  Subscription.extend({ alreadyRevoked: z.boolean().meta({ description: "true when it was revoked before this request (the answer is the same subscription)" }) }),
  "The answer to a revocation",
);

export const SubscriptionSummary = named("SubscriptionSummary", z.object(subscriptionFields), "A subscription in a list (without its history)");

export const CustomerSubscriptions = named(
  "CustomerSubscriptions",
  z.object({ customerId: z.string(), subscriptions: z.array(SubscriptionSummary) }),
  "A customer's subscriptions, oldest first",
);

export const RevokeRequest = named(
  "RevokeRequest",
  z.strictObject(
    {
      reason: z
        .string({ error: (issue) => (issue.input === undefined || issue.input === null ? "is required: why the subscription is revoked" : `must be a string, not ${typeName(issue.input)}`) })
        .trim()
        .min(1, "is required: why the subscription is revoked")
        .max(500, "must be at most 500 characters")
        .meta({ description: "Why it is revoked (kept in its history)", examples: ["customer cancelled"] }),
    },
    { error: (issue) => (issue.code === "unrecognized_keys" ? "is not a field of a revocation" : issue.input === undefined ? "is required" : `must be a JSON object, not ${typeName(issue.input)}`) },
  ),
  "A revocation",
);

export const SubscriptionPath = z.strictObject({ reference: ruled(RenewsRule, "The subscription's activation reference, or the id of the order that created it") });
export const CustomerPath = z.strictObject({ customerId: ruled(OrderFieldRules.customerId, "Your id for the subscriber") });

export const IdempotencyKey = z
  .string()
  .check((ctx) => {
    const problem = fieldProblem(IdempotencyKeyRule, ctx.value);
    if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
  })
  .meta({ minLength: 1, maxLength: IdempotencyKeyRule.maxLength, pattern: IdempotencyKeyRule.pattern.source, examples: [IdempotencyKeyRule.example] });

const ORDER_ID_PATH = ruled(OrderFieldRules.orderId, "Your order id");

export const OrderPath = z.strictObject({ orderId: ORDER_ID_PATH });

export const OrderListQuery = z.strictObject(
  {
    status: z.enum(ORDER_STATUSES, { error: () => `must be one of ${ORDER_STATUSES.join(", ")}` }).optional().meta({ description: "Only orders in this status" }),
    since: z.iso
      .datetime({ offset: true, error: () => "must be an RFC 3339 date-time, e.g. 2026-11-27T10:00:00Z" })
      .optional()
      .meta({ description: "Only orders last changed at or after this time; at most 7 days ago (default: 24 hours ago)" }),
    cursor: z.string().max(1_000, "is not a cursor this API returned").optional().meta({ description: "nextCursor of the previous page (with the same status and since)" }),
    limit: z.coerce
      .number({ error: () => "must be an integer from 1 to 500" })
      .int("must be an integer from 1 to 500")
      .min(1, "must be an integer from 1 to 500")
      .max(500, "must be an integer from 1 to 500")
      .optional()
      .meta({ description: "Orders per page (default 100)" }),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? "is not a parameter of this operation" : undefined) },
);

// ---- webhooks (what notification sends: services/notification/src/domain/webhook.ts buildPayload)

const webhookData = {
  orderId: z.string().meta({ description: "Your order id" }),
  productId: z.string(),
  tenure: z.string(),
  customerId: z.string(),
  zohoSalesOrderId: z.string().nullable(),
  activationReference: z.string().nullable(),
  expiryDate: z.iso.datetime().nullable(),
  renewsOrderId: z.string().optional().meta({ description: "Only for a renewal order: the id of the order that created the subscription it renews" }),
};

export const OrderFulfilledEvent = named(
  "OrderFulfilledEvent",
  z.strictObject({
    type: z.literal("ORDER_FULFILLED"),
    timestamp: z.iso.datetime().meta({ description: "When the order was fulfilled (the webhook-timestamp header is the attempt's time)" }),
    data: z.strictObject({ ...webhookData, status: z.literal("FULFILLED") }),
  }),
  "Sent once an order is FULFILLED",
);

export const OrderFailedEvent = named(
  "OrderFailedEvent",
  z.strictObject({
    type: z.literal("ORDER_FAILED"),
    timestamp: z.iso.datetime().meta({ description: "When the order failed" }),
    data: z.strictObject({
      ...webhookData,
      status: z.literal("FAILED"),
      failureCode: z.string().meta({ description: "A stable code, as in Order.failureCode" }),
      failureReason: z.string(),
      error: z.string().meta({ description: "The same as failureReason (the seed's field name)" }),
    }),
  }),
  "Sent once an order is FAILED",
);

// Subscription events (buildSubscriptionPayload): data.orderId is the id of the order that created the subscription.
const subscriptionData = {
  orderId: z.string().meta({ description: "The id of the order that created the subscription (your id)" }),
  activationReference: z.string(),
  productId: z.string(),
  tenure: z.string(),
  customerId: z.string(),
};

export const SubscriptionRenewedEvent = named(
  "SubscriptionRenewedEvent",
  z.strictObject({
    type: z.literal("SUBSCRIPTION_RENEWED"),
    timestamp: z.iso.datetime(),
    data: z.strictObject({
      ...subscriptionData,
      status: z.literal("ACTIVE"),
      renewalOrderId: z.string().meta({ description: "The renewal order (a fulfilled renewal sends this, not ORDER_FULFILLED)" }),
      zohoSalesOrderId: z.string().nullable().meta({ description: "The renewal order's Zoho sales order" }),
      previousExpiryDate: z.iso.datetime().nullable(),
      periodStart: z.iso.datetime().meta({ description: "The previous end (no days lost), or the renewal's time if it had expired" }),
      expiryDate: z.iso.datetime().meta({ description: "The new expiry" }),
    }),
  }),
  "Sent once a renewal order is fulfilled",
);

export const SubscriptionRevokedEvent = named(
  "SubscriptionRevokedEvent",
  z.strictObject({
    type: z.literal("SUBSCRIPTION_REVOKED"),
    timestamp: z.iso.datetime(),
    data: z.strictObject({ ...subscriptionData, status: z.literal("REVOKED"), reason: z.string(), expiryDate: z.iso.datetime(), revokedAt: z.iso.datetime() }),
  }),
  "Sent once a subscription is revoked",
);

export const SubscriptionExpiredEvent = named(
  "SubscriptionExpiredEvent",
  z.strictObject({
    type: z.literal("SUBSCRIPTION_EXPIRED"),
    timestamp: z.iso.datetime(),
    data: z.strictObject({ ...subscriptionData, status: z.literal("EXPIRED"), expiryDate: z.iso.datetime(), expiredAt: z.iso.datetime() }),
  }),
  "Sent once a subscription passed its end unrenewed (the renewal-check job, daily at 03:00 Africa/Lagos)",
);

export const ExpiryReminderEvent = named(
  "ExpiryReminderEvent",
  z.strictObject({
    type: z.literal("EXPIRY_REMINDER"),
    timestamp: z.iso.datetime(),
    data: z.strictObject({
      ...subscriptionData,
      status: z.literal("ACTIVE"),
      customerEmail: z.string(),
      daysUntilExpiry: z.number().int().meta({ description: "Whole days left (Africa/Lagos calendar days)" }),
      thresholdDays: z.number().int().meta({ description: "The threshold this reminder is for (7, 3 and 1 by default): one reminder per subscription, period and threshold" }),
      expiryDate: z.iso.datetime(),
      amount: z.string().nullable().meta({ description: "The tenure's renewal price, as a decimal string; null when the tenure is no longer offered" }),
      currency: z.string().nullable(),
    }),
  }),
  "Sent by the expiry-reminders job (daily at 02:00 Africa/Lagos) before a subscription ends",
);
