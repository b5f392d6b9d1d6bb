/** An RFC 9457 problem details object. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  /** Validation errors, one per field. */
  readonly errors?: ReadonlyArray<{ readonly field: string; readonly detail: string }>;
  /** Stable machine-readable code, e.g. PRODUCT_NOT_FOUND. */
  readonly code: string;
  /** The trace to quote to IconTech support. */
  readonly traceId?: string;
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";
const TYPE_BASE = "https://docs.icontech.ng/t2mobile/problems/";

/** The type URI of a problem code. */
export const problemType = (code: string): string => `${TYPE_BASE}${code.toLowerCase().replace(/_/g, "-")}`;

/** Every problem the API can answer with; T2Mobile may switch on `code`. */
export const ProblemTypes = {
  UNAUTHORIZED: { status: 401, title: "Missing or invalid API key" },
  PARTNER_SUSPENDED: { status: 403, title: "The partner account is suspended" },
  INVALID_REQUEST: { status: 400, title: "The request is invalid" },
  MALFORMED_JSON: { status: 400, title: "The body is not valid JSON" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "The body must be JSON (UTF-8), with no Content-Encoding" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "The body is too large" },
  HEADERS_TOO_LARGE: { status: 431, title: "The request's headers are too large" },
  URI_TOO_LONG: { status: 414, title: "The path is too long" },
  PRODUCT_NOT_FOUND: { status: 422, title: "Unknown product" },
  TENURE_NOT_OFFERED: { status: 422, title: "Tenure not offered for this product" },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: "Idempotency-Key reused with a different order" },
  ORDER_ID_TAKEN: { status: 409, title: "Order id already used" },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, title: "A request with this Idempotency-Key is still in progress" },
  ORDER_NOT_FOUND: { status: 404, title: "Order not found" },
  SUBSCRIPTION_NOT_FOUND: { status: 404, title: "Subscription not found" },
  RENEWED_SUBSCRIPTION_NOT_FOUND: { status: 422, title: "The subscription to renew does not exist" },
  SUBSCRIPTION_REVOKED: { status: 422, title: "The subscription was revoked; it cannot be renewed" },
  RENEWAL_MISMATCH: { status: 422, title: "The renewal is for another product or customer than the subscription" },
  NOT_FOUND: { status: 404, title: "No such endpoint" },
  RATE_LIMITED: { status: 429, title: "Too many requests" },
  SERVICE_UNAVAILABLE: { status: 503, title: "Temporarily unavailable" },
  INTERNAL_ERROR: { status: 500, title: "Internal error" },
} as const;

export type ProblemCode = keyof typeof ProblemTypes;

export function problem(
  code: ProblemCode,
  detail: string,
  extra: { instance?: string; errors?: Problem["errors"]; traceId?: string } = {},
): Problem {
  const { status, title } = ProblemTypes[code];
  return {
    type: problemType(code),
    title,
    status,
    detail,
    code,
    ...(extra.instance ? { instance: extra.instance } : {}),
    ...(extra.errors && extra.errors.length > 0 ? { errors: extra.errors } : {}),
    ...(extra.traceId ? { traceId: extra.traceId } : {}),
  };
}
