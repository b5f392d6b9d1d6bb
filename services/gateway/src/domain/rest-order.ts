/** The body of POST /t2mobile/fulfilment, as T2Mobile sends it. */
export interface OrderRequestBody {
  readonly orderId: string;
  readonly productId: string;
  readonly customerId: string;
  readonly customerName: string;
  readonly customerEmail: string;
  readonly customerPhone: string;
  readonly tenure: string;
  /** A renewal: the subscription renewed, by activation reference or original order id. Absent for a new subscription. */
  readonly renews?: string;
}

const FIELDS = ["orderId", "productId", "customerId", "customerName", "customerEmail", "customerPhone", "tenure"] as const;

export type BodyCheck =
  | { readonly ok: true; readonly body: OrderRequestBody }
  | { readonly ok: false; readonly errors: Array<{ field: string; detail: string }> };

/**
 * Checks the JSON's shape only: an object whose known fields are strings.
 * A missing field becomes "" so the Fulfilment service, which owns the
 * rules for each value, reports it with everything else that is wrong.
 */
export function readOrderBody(json: unknown): BodyCheck {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, errors: [{ field: "(body)", detail: "must be a JSON object" }] };
  }
  const record = json as Record<string, unknown>;
  const errors: Array<{ field: string; detail: string }> = [];
  const body: Record<string, string> = {};
  for (const field of FIELDS) {
    const value = record[field];
    if (value === undefined || value === null) body[field] = "";
    else if (typeof value === "string") body[field] = value;
    else errors.push({ field, detail: `must be a string, not ${kindOf(value)}` });
  }
  // Optional: only a renewal names the subscription it renews.
  const renews = record.renews;
  if (typeof renews === "string" && renews !== "") body.renews = renews;
  else if (renews !== undefined && renews !== null && typeof renews !== "string") errors.push({ field: "renews", detail: `must be a string, not ${kindOf(renews)}` });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, body: body as unknown as OrderRequestBody };
}

const kindOf = (value: unknown) => (Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : `a ${typeof value}`);

/** The body of POST /t2mobile/subscriptions/:reference/revoke. */
export function readRevokeBody(json: unknown): { ok: true; reason: string } | { ok: false; errors: Array<{ field: string; detail: string }> } {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { ok: false, errors: [{ field: "(body)", detail: "must be a JSON object" }] };
  const reason = (json as Record<string, unknown>).reason;
  if (typeof reason !== "string" || reason.trim() === "") return { ok: false, errors: [{ field: "reason", detail: "is required: why the subscription is revoked" }] };
  if (reason.length > 500) return { ok: false, errors: [{ field: "reason", detail: "must be at most 500 characters" }] };
  return { ok: true, reason: reason.trim() };
}

/**
 * The Idempotency-Key header's value. The IETF draft sends it as a quoted
 * structured-field string; T2Mobile's seed examples send it bare. Both work.
 */
export function readIdempotencyKey(header: string | string[] | undefined): string {
  const value = (Array.isArray(header) ? header.join(",") : (header ?? "")).trim();
  const quoted = /^"(.*)"$/.exec(value);
  return quoted ? quoted[1]! : value;
}

/** Formats minor units as a decimal string: 21600000 → "216000.00". */
export function formatAmount(amountMinor: bigint): string {
  const negative = amountMinor < 0n;
  const abs = negative ? -amountMinor : amountMinor;
  return `${negative ? "-" : ""}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
}
