import { Code, ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { BadRequestSchema, ErrorReasonSchema, ErrorStatusSchema, RetryInfoSchema, type ErrorStatus } from "@t2m/proto/common/v1/common";

export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/** INVALID_ARGUMENT with one violation per bad field, for callers to show. */
export function invalidArgument(violations: readonly FieldViolation[], message = "the request is invalid"): ConnectError {
  return new ConnectError(message, Code.InvalidArgument, undefined, [
    { desc: BadRequestSchema, value: { fieldViolations: violations.map((v) => ({ ...v })) } },
  ]);
}

/** An error with a stable machine-readable reason, e.g. PRODUCT_NOT_FOUND. */
export function reasonedError(code: Code, reason: string, message: string): ConnectError {
  return new ConnectError(message, code, undefined, [{ desc: ErrorReasonSchema, value: { reason, message } }]);
}

/** An error the caller should retry after `retryDelayMs` (e.g. RESOURCE_EXHAUSTED while a shared budget refills). */
export function retryableError(code: Code, reason: string, message: string, retryDelayMs: number): ConnectError {
  return new ConnectError(message, code, undefined, [
    { desc: ErrorReasonSchema, value: { reason, message } },
    { desc: RetryInfoSchema, value: { retryDelayMs: BigInt(Math.max(0, Math.round(retryDelayMs))) } },
  ]);
}

/** The delay a RetryInfo detail asks for, if the error carries one. */
export function retryDelayOf(err: ConnectError): number | undefined {
  const info = err.findDetails(RetryInfoSchema)[0];
  return info ? Number(info.retryDelayMs) : undefined;
}

export function fieldViolationsOf(err: ConnectError): FieldViolation[] {
  return err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map(({ field, description }) => ({ field, description })));
}

export function reasonOf(err: ConnectError): string | undefined {
  return err.findDetails(ErrorReasonSchema)[0]?.reason;
}

/** An error as data, for a call that answers for several items (e.g. SubmitOrders). */
export function errorStatusOf(err: ConnectError): ErrorStatus {
  const reason = err.findDetails(ErrorReasonSchema)[0];
  const badRequest = err.findDetails(BadRequestSchema)[0];
  return create(ErrorStatusSchema, { code: err.code, message: err.rawMessage, reason, badRequest });
}

/** The ConnectError an ErrorStatus stands for, with the same details. */
export function connectErrorFrom(status: ErrorStatus): ConnectError {
  const details = [
    ...(status.reason ? [{ desc: ErrorReasonSchema, value: status.reason }] : []),
    ...(status.badRequest ? [{ desc: BadRequestSchema, value: status.badRequest }] : []),
  ];
  return new ConnectError(status.message, status.code as Code, undefined, details);
}

export { Code, ConnectError };
