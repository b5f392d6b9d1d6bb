import type { DescService } from "@bufbuild/protobuf";
import type { CallOptions, Client } from "@connectrpc/connect";
import type { Command } from "commander";

/** What a command's action uses: clients of the platform's services and the output. */
export interface CommandContext {
  /** A client of a Protobuf service, sent to the process that serves it (domain/targets.ts), with the operator token. */
  client<S extends DescService>(service: S): Client<S>;
  /** Prints the result: `json` (one JSON document) with --json, `text` (tables, fields) otherwise. */
  print(result: { readonly json: unknown; readonly text: string }): void;
  /** Ends the command with exit code 1 after its output, for a failure that is not an RPC error (a job run that failed). */
  fail(): void;
}

/** Options for a call that may take long (a job run): no deadline of t2m's own. */
export const LONG_CALL: CallOptions = { timeoutMs: 60 * 60 * 1000 };

/**
 * One group of commands (`t2m orders …`): a file in src/commands that adds
 * its subcommands, registered in commands/index.ts. Adding a group is that
 * file and one line there.
 */
export interface CommandGroup {
  readonly name: string;
  readonly description: string;
  register(group: Command, context: CommandContext): void;
}
