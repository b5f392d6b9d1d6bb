import { Code, ConnectError, fieldViolationsOf, reasonOf } from "@t2m/platform";
import { problem, ProblemTypes, type Problem, type ProblemCode } from "../domain/problem.js";

const isProblemCode = (reason: string | undefined): reason is ProblemCode => reason !== undefined && reason in ProblemTypes;

/**
 * Maps a service's ConnectError to what T2Mobile sees. Reasons the services
 * attach (PRODUCT_NOT_FOUND …) become the problem code; messages of
 * internal failures are never passed on.
 */
export function problemFromRpc(err: ConnectError, instance: string, traceId?: string): Problem {
  const extra = { instance, ...(traceId ? { traceId } : {}) };
  const reason = reasonOf(err);
  if (err.code === Code.InvalidArgument) {
    const errors = fieldViolationsOf(err).map((v) => ({ field: v.field, detail: v.description }));
    return problem("INVALID_REQUEST", err.rawMessage, { ...extra, errors });
  }
  if (isProblemCode(reason) && [Code.FailedPrecondition, Code.NotFound, Code.AlreadyExists].includes(err.code)) {
    return problem(reason, err.rawMessage, extra);
  }
  if ([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted].includes(err.code)) {
    return problem("SERVICE_UNAVAILABLE", "a service this request needs is unavailable; retry with the same Idempotency-Key", extra);
  }
  return problem("INTERNAL_ERROR", "an unexpected error occurred; quote the traceId to IconTech support", extra);
}

export { ConnectError };
