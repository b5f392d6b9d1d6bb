import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { JobRun } from "@t2m/proto/common/v1/jobs";
import { JobRunOutcome } from "@t2m/proto/common/v1/jobs";
import { OrderStatus, type Order } from "@t2m/proto/fulfilment/v1/fulfilment";
import { AttemptOutcome, MessageStatus, type DeliveryAttempt, type Endpoint, type WebhookMessage } from "@t2m/proto/notification/v1/notification";
import { PartnerStatus, type Partner } from "@t2m/proto/partners/v1/partners";
import { LicenceTaskKind, LicenceTaskState, type LicenceTask } from "@t2m/proto/provisioning/v1/licence_tasks";
import { SubscriptionChangeKind, SubscriptionStatus, type Subscription } from "@t2m/proto/provisioning/v1/provisioning";
import { formatFields, formatTable } from "./table.js";
import { enumName } from "./values.js";

/** How t2m shows the platform's records to people (tables and fields); --json prints the RPC's answer instead. */

export const time = (ts: Timestamp | undefined): string => (ts ? timestampDate(ts).toISOString().replace(/\.000Z$/, "Z") : "");

const money = (m: { currencyCode: string; amountMinor: bigint } | undefined) => (m ? `${m.currencyCode} ${(Number(m.amountMinor) / 100).toFixed(2)}` : "");

export function orderTable(orders: readonly Order[]): string {
  return formatTable(
    ["ORDER", "STATUS", "PRODUCT", "TENURE", "CUSTOMER", "ATTEMPTS", "UPDATED"],
    orders.map((o) => [o.orderId, enumName(OrderStatus, o.status), o.productId, o.tenure, o.customer?.customerId ?? "", String(o.attempts), time(o.updatedAt)]),
  );
}

export function orderFields(o: Order): string {
  return formatFields([
    ["order", o.orderId],
    ["partner", o.partnerId],
    ["partner order", o.partnerOrderId !== o.orderId ? o.partnerOrderId : ""],
    ["status", enumName(OrderStatus, o.status)],
    ["product", `${o.productId} ${o.tenure}`],
    ["price", money(o.price)],
    ["customer", [o.customer?.customerId, o.customer?.name, o.customer?.email].filter(Boolean).join(", ")],
    ["renews", o.renewsSubscriptionId],
    ["attempts", String(o.attempts)],
    ["next attempt", time(o.nextAttemptAt)],
    ["zoho sales order", o.zohoSalesOrderId],
    ["activation ref", o.activationReference],
    ["expires", time(o.expiryDate)],
    ["failure", o.failureCode ? `${o.failureCode}: ${o.failureReason}` : ""],
    ["failure detail", o.failureDetail],
    ["sales order", o.salesOrderDisposition],
    ["created", time(o.createdAt)],
    ["updated", time(o.updatedAt)],
    ["fulfilled", time(o.fulfilledAt)],
    ["failed", time(o.failedAt)],
  ]);
}

export function subscriptionTable(subscriptions: readonly Subscription[]): string {
  return formatTable(
    ["SUBSCRIPTION", "ACTIVATION REF", "STATUS", "PRODUCT", "TENURE", "CUSTOMER", "EXPIRES"],
    subscriptions.map((s) => [s.orderId, s.activationReference, enumName(SubscriptionStatus, s.status), s.productId, s.tenure, s.customerId, time(s.expiryDate)]),
  );
}

export function subscriptionFields(s: Subscription): string {
  const fields = formatFields([
    ["subscription", s.orderId],
    ["activation ref", s.activationReference],
    ["status", enumName(SubscriptionStatus, s.status)],
    ["product", `${s.productId} ${s.tenure}`],
    ["customer", [s.customerId, s.customerEmail].filter(Boolean).join(", ")],
    ["zoho sales order", s.zohoSalesOrderId],
    ["period", `${time(s.startDate)} → ${time(s.expiryDate)}`],
    ["version", String(s.version)],
  ]);
  if (s.history.length === 0) return fields;
  const history = formatTable(
    ["V", "CHANGE", "STATUS", "PERIOD END", "ORDER", "REASON", "AT"],
    s.history.map((h) => [String(h.version), enumName(SubscriptionChangeKind, h.kind), enumName(SubscriptionStatus, h.status), time(h.periodEnd), h.orderId, h.reason, time(h.changedAt)]),
  );
  return `${fields}\n\nhistory:\n${history}`;
}

export function attemptTable(attempts: readonly DeliveryAttempt[]): string {
  return formatTable(
    ["WEBHOOK", "EVENT", "ORDER", "#", "REPLAY", "OUTCOME", "HTTP", "MS", "AT", "NEXT RETRY", "ERROR"],
    attempts.map((a) => [
      a.webhookId,
      a.eventType,
      a.orderId,
      String(a.attemptNumber),
      String(a.replay),
      enumName(AttemptOutcome, a.outcome),
      a.httpStatus ? String(a.httpStatus) : "",
      String(a.durationMs),
      time(a.attemptedAt),
      time(a.nextRetryAt),
      a.error,
    ]),
  );
}

export function messageTable(messages: readonly WebhookMessage[]): string {
  return formatTable(
    ["WEBHOOK", "EVENT", "ORDER", "ENDPOINT", "STATUS", "ATTEMPTS", "CREATED", "NEXT ATTEMPT", "LAST ERROR"],
    messages.map((m) => [
      m.webhookId,
      m.eventType,
      m.orderId,
      m.endpointId,
      enumName(MessageStatus, m.status),
      String(m.attempts),
      time(m.createdAt),
      time(m.nextAttemptAt),
      m.lastError || (m.lastHttpStatus ? `HTTP ${m.lastHttpStatus}` : ""),
    ]),
  );
}

export function endpointFields(e: Endpoint): string {
  return formatFields([
    ["endpoint", e.endpointId],
    ["host", e.host],
    ["state", e.disabled ? `DISABLED since ${time(e.disabledAt)}: ${e.disabledReason}` : "enabled"],
    ["dead in a row", String(e.deadStreak)],
    ["failing since", time(e.failingSince)],
    ["signing secrets", String(e.signingSecrets)],
  ]);
}

const activeKeys = (p: Partner) => p.apiKeys.filter((k) => !k.revokedAt);

export function partnerTable(partners: readonly Partner[]): string {
  return formatTable(
    ["PARTNER", "NAME", "STATUS", "RATE LIMIT", "KEYS", "WEBHOOK", "UPDATED"],
    partners.map((p) => [
      p.partnerId,
      p.name,
      enumName(PartnerStatus, p.status),
      p.rateLimitPerMinute ? `${p.rateLimitPerMinute}/min` : "default",
      String(activeKeys(p).length),
      p.webhook?.url ?? "",
      time(p.updatedAt),
    ]),
  );
}

export function partnerFields(p: Partner): string {
  const fields = formatFields([
    ["partner", p.partnerId],
    ["name", p.name],
    ["status", enumName(PartnerStatus, p.status)],
    ["rate limit", p.rateLimitPerMinute ? `${p.rateLimitPerMinute}/min` : "default"],
    ["webhook", p.webhook ? `${p.webhook.url} (${p.webhook.signingSecrets} signing secret${p.webhook.signingSecrets === 1 ? "" : "s"}, ${p.webhook.source})` : "none"],
    ["created", time(p.createdAt)],
    ["updated", time(p.updatedAt)],
    ["version", String(p.version)],
  ]);
  const keys = formatTable(
    ["KEY", "PREFIX", "CREATED", "LAST USED", "REVOKED", "SOURCE"],
    p.apiKeys.map((k) => [k.keyId, `${k.prefix}…`, time(k.createdAt), time(k.lastUsedAt), time(k.revokedAt), k.source]),
  );
  return `${fields}\n\nkeys:\n${keys}`;
}

export function jobRunFields(run: JobRun): string {
  const counts = Object.entries(run.counts)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const started = run.startedAt ? timestampDate(run.startedAt).getTime() : 0;
  const ended = run.endedAt ? timestampDate(run.endedAt).getTime() : started;
  return formatFields([
    ["job", run.job],
    ["run", String(run.run)],
    ["outcome", enumName(JobRunOutcome, run.outcome)],
    ["processed", String(run.processed)],
    ["failed", String(run.failed)],
    ["counts", counts],
    ["started", time(run.startedAt)],
    ["took", `${((ended - started) / 1000).toFixed(1)}s`],
    ["error", run.error],
  ]);
}

export function licenceTaskTable(tasks: readonly LicenceTask[], now = new Date()): string {
  return formatTable(
    ["ORDER", "KIND", "STATE", "PRODUCT", "TENURE", "CUSTOMER", "WAITING SINCE", "AGE", "ACTIVATION REF", "REASON"],
    tasks.map((t) => [
      t.orderId,
      enumName(LicenceTaskKind, t.kind),
      enumName(LicenceTaskState, t.state),
      t.productId,
      t.tenure,
      [t.customer?.customerId, t.customer?.email].filter(Boolean).join(", "),
      time(t.createdAt),
      t.state === LicenceTaskState.WAITING && t.createdAt ? age(now.getTime() - timestampDate(t.createdAt).getTime()) : "",
      t.activationReference,
      t.failureReason,
    ]),
  );
}

export function licenceTaskFields(t: LicenceTask): string {
  return formatFields([
    ["order", t.orderId],
    ["kind", enumName(LicenceTaskKind, t.kind)],
    ["state", enumName(LicenceTaskState, t.state)],
    ["product", `${t.productId} ${t.tenure}`],
    ["customer", [t.customer?.customerId, t.customer?.name, t.customer?.email].filter(Boolean).join(", ")],
    ["zoho sales order", t.zohoSalesOrderId],
    ["subscription", t.subscriptionId],
    ["period", t.periodStart || t.expiryDate ? `${time(t.periodStart)} → ${time(t.expiryDate)}` : ""],
    ["activation ref", t.activationReference],
    ["failure", t.failureReason],
    ["waiting since", time(t.createdAt)],
    ["completed", time(t.completedAt)],
    ["failed", time(t.failedAt)],
  ]);
}

/** A duration as people read a queue's age: 45s, 12m, 3h 20m, 2d 4h. */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
