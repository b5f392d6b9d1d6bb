/**
 * t2m's exit codes, the usual convention (as kubectl and gh): 0 done; 1 the
 * platform said no or could not be reached (any RPC error, NOT_FOUND
 * included, or a job run that did not succeed); 2 the command line was wrong
 * (nothing was sent).
 */
export const ExitCodes = {
  ok: 0,
  failed: 1,
  usage: 2,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  done
  1  the platform answered an error (printed as "error: <CODE>: <message>"),
     could not be reached, or a job run did not succeed
  2  usage error: an unknown command, a missing or bad argument (nothing was sent)`;

/** A command-line mistake found by t2m itself (beyond what the parser checks): exit 2 with the command's usage. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
