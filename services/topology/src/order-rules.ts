/**
 * The rules an order's fields follow: the gateway checks and documents them
 * (its OpenAPI schemas are built from these), and fulfilment enforces them
 * again for every caller of SubmitOrder. One definition, so the published
 * contract and the checks cannot drift apart. Messages name the REST fields.
 */
export interface FieldRule {
  readonly maxLength: number;
  /** Tested on the whole value (anchored), after the value is known not to be blank or too long. */
  readonly pattern: RegExp;
  readonly description: string;
  /** The message when the value is longer than maxLength; `description` otherwise. */
  readonly tooLong?: string;
  readonly example: string;
}

const ID: Omit<FieldRule, "example"> = {
  maxLength: 100,
  pattern: /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/,
  description: "must be 1 to 100 letters, digits, '_', '.', ':' or '-'",
};

export const OrderFieldRules = {
  orderId: { ...ID, example: "T2M123456" },
  productId: { maxLength: 64, pattern: /^[A-Z0-9_]{2,64}$/, description: "must be a product id such as ZOHO_CRM_STD", example: "ZOHO_CRM_STD" },
  customerId: { ...ID, example: "T2M_USER_9001" },
  // Control characters and lone surrogates have no place in a name (and would reach Zoho and logs).
  customerName: { maxLength: 200, pattern: /^[^\p{Cc}\p{Cs}]+$/u, description: "must not contain control characters", tooLong: "must be at most 200 characters", example: "John Doe" },
  // Deliberately simple: one @, a dot in the domain, no spaces, and no control, format
  // (bidi overrides, zero-width) or lone-surrogate characters: JavaScript's \s misses
  // U+0000, U+007F and U+0085, and those would reach Zoho, mail and logs. Zoho validates further.
  customerEmail: { maxLength: 254, pattern: /^[^\s@\p{C}]{1,64}@[^\s@\p{C}]+\.[^\s@\p{C}]{2,}$/u, description: "must be an email address", example: "john@example.com" },
  // 7 to 15 digits, an optional leading +, spaces and '-' anywhere (a plain space: not tabs or other whitespace).
  customerPhone: { maxLength: 32, pattern: /^[ -]*(?:\+[ -]*)?(?:[0-9][ -]*){7,15}$/, description: "must be a phone number of 7 to 15 digits", example: "08012345678" },
  tenure: { maxLength: 12, pattern: /^\d{1,3}_MONTHS?$/, description: "must be a tenure such as 12_MONTHS", example: "12_MONTHS" },
} as const satisfies Record<string, FieldRule>;

export type OrderField = keyof typeof OrderFieldRules;

/** The optional `renews` of a renewal order: the renewed subscription's activation reference or original order id. */
export const RenewsRule: FieldRule = { ...ID, description: "must be an activation reference or an order id", example: "ZL-7Q2M9X4K1D3F" };

/** The Idempotency-Key: printable ASCII without spaces (a UUID is recommended), so keys are safe to log and to index. */
export const IdempotencyKeyRule: FieldRule = {
  maxLength: 255,
  pattern: /^[\x21-\x7e]{1,255}$/,
  description: "must be 1 to 255 printable ASCII characters, without spaces",
  example: "8e03978e-40d5-43e8-bc93-6894a57f9324",
};

/** What is wrong with a value under a rule ("is required", or the rule's message); undefined when it is fine. */
export function fieldProblem(rule: FieldRule, value: string): string | undefined {
  if (value.trim() === "") return "is required";
  if (value.length > rule.maxLength) return rule.tooLong ?? rule.description;
  return rule.pattern.test(value) ? undefined : rule.description;
}
