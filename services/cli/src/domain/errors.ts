import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorReasonSchema, RetryInfoSchema } from "@t2m/proto/common/v1/common";
import type { Target } from "./targets.js";

/** "FailedPrecondition" → "FAILED_PRECONDITION", the gRPC name operators search runbooks for. */
export const codeName = (code: Code): string => (Code[code] ?? "UNKNOWN").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();

const NETWORK_ERRORS = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT"];

/** The network error under a failed call (connection refused, unknown host…), if that is what it was. */
export function networkErrorOf(err: unknown): string | undefined {
  for (let cause: unknown = err, depth = 0; cause && depth < 6; cause = (cause as { cause?: unknown }).cause, depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_ERRORS.includes(code)) return code;
    const message = cause instanceof Error ? cause.message : "";
    const named = NETWORK_ERRORS.find((n) => message.includes(n));
    if (named) return named;
  }
  return undefined;
}

/**
 * What t2m prints on stderr for a failed call: `error: <CODE>: <message>`,
 * then the error's details (its stable reason, field violations, when to
 * retry). A process that cannot be reached is said so, with the address
 * tried. Never the token: nothing here reads it.
 */
export function describeCallError(err: unknown, target: Pick<Target, "server" | "baseUrl" | "localDefault">): string[] {
  const network = networkErrorOf(err);
  if (network) {
    const hint = target.localDefault ? ": is `npm start` running? (use --url)" : ` (${network})`;
    return [`error: cannot reach ${target.server} at ${target.baseUrl}${hint}`];
  }
  if (!(err instanceof ConnectError)) return [`error: ${err instanceof Error ? err.message : String(err)}`];
  const lines = [`error: ${codeName(err.code)}: ${err.rawMessage}`];
  for (const reason of err.findDetails(ErrorReasonSchema)) lines.push(`  reason: ${reason.reason}`);
  for (const bad of err.findDetails(BadRequestSchema)) for (const v of bad.fieldViolations) lines.push(`  ${v.field}: ${v.description}`);
  for (const retry of err.findDetails(RetryInfoSchema)) lines.push(`  retry after: ${Number(retry.retryDelayMs) / 1000}s`);
  if (err.code === Code.Unauthenticated) lines.push(`  (the operator token was refused by ${target.server} at ${target.baseUrl}: check --token / T2M_TOKEN)`);
  return lines;
}
