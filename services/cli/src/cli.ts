import { readFileSync } from "node:fs";
import type { DescService } from "@bufbuild/protobuf";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { Command, CommanderError } from "commander";
import { callFailureOf, connectClients } from "./adapters/clients.js";
import { COMMAND_GROUPS } from "./commands/index.js";
import type { CommandContext } from "./commands/command-group.js";
import { describeCallError } from "./domain/errors.js";
import { EXIT_CODES_HELP, ExitCodes, UsageError } from "./domain/exit-codes.js";
import { resolveTarget, SERVER_NAMES, serverOf, serverUrlVariable, type Target, type TargetSettings } from "./domain/targets.js";

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Standard output and error, written as given. */
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** How calls reach a process (tests: an in-memory router). */
  readonly transport?: (target: Target, interceptors: Interceptor[]) => Transport;
}

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

const ENVIRONMENT_HELP = `Where calls go:
  no --url             npm start's services on 127.0.0.1 (fulfilment :4102, provisioning :4103,
                       notification :4104), with the local operator token
  --url <base>         one base URL for every service, as the chart's operator Ingress serves
                       them (routed by RPC path); needs --token unless it is this machine
  ${SERVER_NAMES.map(serverUrlVariable).join(", ")}
                       one process's own address (port-forwards, tests): wins over T2M_URL,
                       an explicit --url wins over it`;

class ParseExit extends Error {
  constructor(
    readonly error: CommanderError,
    readonly command: Command,
  ) {
    super(error.message);
  }
}

/** "t2m orders get [options] <orderId>": the usage line of a command. */
function usageLine(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return `usage: ${names.join(" ")} ${command.usage()}`;
}

function eachCommand(command: Command, visit: (c: Command) => void): void {
  visit(command);
  for (const sub of command.commands) eachCommand(sub, visit);
}

/** Runs t2m with its arguments (after the program name); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let settings: TargetSettings = { urlFromFlag: false, env: io.env };
  let json = false;
  let failed = false;
  let lastTarget: Target | undefined;
  let acting: Command | undefined;
  const targetOf = (service: DescService) => (lastTarget = resolveTarget(serverOf(service), settings));
  const client = connectClients(targetOf, io.transport);
  const context: CommandContext = {
    client: (service) => client(service),
    print: ({ json: document, text }) => io.out(`${json ? JSON.stringify(document, null, 2) : text}\n`),
    fail: () => void (failed = true),
  };

  const program = new Command("t2m")
    .description("Operate the T2Mobile fulfilment platform over its services' RPCs (never its databases)")
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    // T2M_URL and T2M_TOKEN are read from io.env below (commander's .env() would read process.env only).
    .option("--url <url>", "one base URL for every service, a cluster's operator Ingress (env: T2M_URL)")
    .option("--token <token>", "the operator's service token, RPC_TOKEN_OPERATOR (env: T2M_TOKEN)")
    .option("--json", "print the answer as one JSON document (the RPC's response, proto3 JSON)")
    .version(VERSION, "--version", "print t2m's version")
    .helpCommand(true)
    .showSuggestionAfterError()
    .addHelpText("after", `\n${ENVIRONMENT_HELP}\n\n${EXIT_CODES_HELP}`);
  for (const group of COMMAND_GROUPS) group.register(program.command(group.name).description(group.description), context);
  eachCommand(program, (command) => {
    command.exitOverride((err) => {
      throw new ParseExit(err, command);
    });
    if (command !== program && command.commands.length === 0) command.addHelpText("after", `\n${EXIT_CODES_HELP}`);
  });
  program.hook("preAction", (_program, action) => {
    acting = action;
    const opts = action.optsWithGlobals<{ url?: string; token?: string; json?: boolean }>();
    json = opts.json ?? false;
    settings = { url: opts.url ?? io.env.T2M_URL, urlFromFlag: opts.url !== undefined, token: opts.token ?? io.env.T2M_TOKEN, env: io.env };
  });

  try {
    await program.parseAsync([...argv], { from: "user" });
    return failed ? ExitCodes.failed : ExitCodes.ok;
  } catch (err) {
    if (err instanceof ParseExit) {
      // --help, --version and `help`: done. A group without its subcommand printed its help as an error.
      if (err.error.code === "commander.helpDisplayed" || err.error.code === "commander.version") return ExitCodes.ok;
      if (err.error.code === "commander.help") return err.error.exitCode === 0 ? ExitCodes.ok : ExitCodes.usage;
      io.err(`${usageLine(err.command)}\n`);
      return ExitCodes.usage;
    }
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}\n${acting ? `${usageLine(acting)}\n` : ""}`);
      return ExitCodes.usage;
    }
    const call = callFailureOf(err);
    const target = call?.target ?? lastTarget;
    const lines = target ? describeCallError(call?.cause ?? err, target) : [`error: ${err instanceof Error ? err.message : String(err)}`];
    io.err(`${lines.join("\n")}\n`);
    return ExitCodes.failed;
  }
}
