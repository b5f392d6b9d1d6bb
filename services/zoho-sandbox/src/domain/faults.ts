import { z } from "zod";
import { ZohoCode } from "./zoho-error.js";

/** The Zoho calls the sandbox serves, by the names the control API and the request counts use. */
export const SandboxOperations = [
  "token",
  "listItems",
  "findContacts",
  "createContact",
  "createSalesOrder",
  "confirmSalesOrder",
  "getSalesOrder",
  "listSalesOrders",
  "bulkConfirmSalesOrders",
  "voidSalesOrder",
] as const;
export type SandboxOperation = (typeof SandboxOperations)[number];

/**
 * A planned misbehaviour. With `status`, the call is answered with that
 * status and a Zoho error body and changes nothing. With `delayMs` alone,
 * the call takes effect and its answer is held back that long (so a caller
 * can die after Zoho acted but before it heard back).
 *
 * A fault applies to a call of its operation whose request text (path,
 * query and body) contains `match`, if given (e.g. an order-id prefix, to
 * hit some orders only), and then with `probability` (default 1). Code 45
 * ("Request Limit Exceeded") may ride on any status, as it may from Zoho;
 * such an answer, like any 429, carries a Retry-After of
 * `retryAfterSeconds` (default 1).
 */
export interface FaultSpec {
  readonly operation: SandboxOperation;
  readonly status?: number;
  readonly code?: number;
  readonly message?: string;
  /** How many calls it applies to; -1 means every call until cleared. */
  readonly times: number;
  readonly delayMs?: number;
  /** 0–1: the chance it applies to a call it matches; calls it skips do not count. Default 1. */
  readonly probability?: number;
  /** A substring the request's path, query or body must contain. */
  readonly match?: string;
  /** Retry-After sent with a 429 or code 45 answer. Default 1. */
  readonly retryAfterSeconds?: number;
}

export interface Fault extends FaultSpec {
  readonly id: number;
  /** Calls it has applied to so far. */
  readonly hits: number;
}

export class FaultSpecError extends Error {
  override name = "FaultSpecError";
}

export const MAX_FAULT_DELAY_MS = 300_000;

const faultSpecSchema = z
  .strictObject({
    operation: z.enum(SandboxOperations, { error: `must be one of ${SandboxOperations.join(", ")}` }),
    status: z.number().int().min(200).max(599).optional(),
    code: z.number().int().optional(),
    message: z.string().min(1).max(500).optional(),
    times: z
      .number()
      .int()
      .refine((n) => n === -1 || n >= 1, { message: "must be a positive integer, or -1 for always" })
      .default(1),
    delayMs: z.number().int().min(0).max(MAX_FAULT_DELAY_MS).optional(),
    probability: z.number().min(0).max(1).optional(),
    match: z.string().min(1).max(500).optional(),
    retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.status === undefined && spec.delayMs === undefined) {
      ctx.addIssue({ code: "custom", message: "give status (answer with an error) or delayMs (hold the answer back), or both" });
    }
    // Only the token endpoint fails with HTTP 200 (Zoho's `{"error": …}` bodies); an API call "failing" with 2xx makes no sense.
    if (spec.status !== undefined && spec.status < 400 && !(spec.operation === "token" && spec.status === 200)) {
      ctx.addIssue({ code: "custom", path: ["status"], message: "must be 400-599 (or 200 for token, Zoho's error-with-200)" });
    }
    if (spec.status === undefined && (spec.code !== undefined || spec.message !== undefined)) {
      ctx.addIssue({ code: "custom", path: ["status"], message: "is required when code or message is given" });
    }
    if (spec.retryAfterSeconds !== undefined && !isRateLimitFault(spec)) {
      ctx.addIssue({ code: "custom", path: ["retryAfterSeconds"], message: "applies only to a 429 or code 45 answer" });
    }
  });

/** Validates a control-API fault request; the error message says what is wrong with which field. */
export function parseFaultSpec(input: unknown): FaultSpec {
  const result = faultSpecSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.join(".");
    if (issue.code === "unrecognized_keys") return `unknown field(s): ${issue.keys.join(", ")}`;
    return field ? `${field} ${issue.message}` : issue.message;
  });
  throw new FaultSpecError(`invalid fault: ${problems.join("; ")}`);
}

/** A fault that answers as Zoho's rate limit does: HTTP 429, or code 45 on any status. */
export function isRateLimitFault(spec: Pick<FaultSpec, "status" | "code">): boolean {
  return spec.status === 429 || (spec.status !== undefined && spec.code === ZohoCode.requestLimitExceeded);
}

/** The Zoho error body an injected status answers with, unless the fault names its own. */
export function faultEnvelope(spec: FaultSpec & { status: number }): { code: number; message: string } {
  const fallback =
    spec.status === 401
      ? { code: ZohoCode.notAuthorized, message: "You are not authorized to perform this operation" }
      : spec.status === 404
        ? { code: ZohoCode.doesNotExist, message: "The requested resource does not exist." }
        : spec.status === 429
          ? { code: ZohoCode.requestLimitExceeded, message: "Request Limit Exceeded" }
          : spec.status >= 500
            ? { code: ZohoCode.internalError, message: "Internal error" }
            : { code: ZohoCode.invalidValue, message: "Invalid value passed" };
  return { code: spec.code ?? fallback.code, message: spec.message ?? fallback.message };
}

/** Faults waiting to apply, first added first used. */
export class FaultPlan {
  #faults: { id: number; spec: FaultSpec; hits: number }[] = [];
  #lastId = 0;

  add(spec: FaultSpec): Fault {
    const entry = { id: ++this.#lastId, spec, hits: 0 };
    this.#faults.push(entry);
    return { ...spec, id: entry.id, hits: 0 };
  }

  /**
   * The first fault that applies to this call, if any (its operation, its
   * match in `requestText`, then its probability, drawn from `random`);
   * counts the call against it and drops it once used up.
   */
  take(operation: SandboxOperation, requestText = "", random: () => number = Math.random): FaultSpec | undefined {
    const entry = this.#faults.find(
      (f) =>
        f.spec.operation === operation &&
        (f.spec.match === undefined || requestText.includes(f.spec.match)) &&
        (f.spec.probability === undefined || f.spec.probability >= 1 || random() < f.spec.probability),
    );
    if (!entry) return undefined;
    entry.hits++;
    if (entry.spec.times !== -1 && entry.hits >= entry.spec.times) {
      this.#faults = this.#faults.filter((f) => f !== entry);
    }
    return entry.spec;
  }

  list(): Fault[] {
    return this.#faults.map((f) => ({ ...f.spec, id: f.id, hits: f.hits }));
  }

  clear(): number {
    const cleared = this.#faults.length;
    this.#faults = [];
    return cleared;
  }
}
