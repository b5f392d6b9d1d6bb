import { formatLogLine, prefixLine, wantsColour } from "./log-format.js";
import type { OutputSink } from "./processes.js";

/**
 * FerretDB lines that are routine, not news: at WARN it dumps every error
 * response (e.g. the driver's unsupported endSessions) and every client that
 * disconnects. A panic is never noise.
 */
export function isNoise(source: string, line: string): boolean {
  // The nats-server wrapper's note of its child's pid, for the devstack.
  if (source === "nats" && line.startsWith("NATS_SERVER_PID=")) return true;
  if (source !== "ferretdb" || !line.includes("level=WARN")) return false;
  if (line.includes('msg="Response ')) return true;
  return line.includes('msg="Connection stopped"') && !line.includes("error=panic");
}

export interface ConsoleSinkOptions {
  /** ANSI colours; by default when stdout is a TTY (NO_COLOR / FORCE_COLOR respected). */
  readonly colour?: boolean;
  /** Turn pino JSON into short readable lines (default true). */
  readonly pretty?: boolean;
  /** Hide routine server chatter (see isNoise); true by default. It stays in the processes' last lines. */
  readonly quiet?: boolean;
  /** Width of the name column. */
  readonly width?: number;
  readonly write?: (text: string) => void;
}

/** Prints every line as "name | 12:00:01.234 INFO  message key=value". */
export function createConsoleSink(options: ConsoleSinkOptions = {}): OutputSink {
  const colour = options.colour ?? wantsColour(process.stdout);
  const pretty = options.pretty ?? true;
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const quiet = options.quiet ?? true;
  return (source, line) => {
    if (quiet && isNoise(source, line)) return;
    write(`${prefixLine(source, pretty ? formatLogLine(line, colour) : line, { colour, width: options.width })}\n`);
  };
}

/**
 * The sink a stack uses when none is given: nothing (lines stay in memory),
 * unless DEVSTACK_LOGS=1 asks to see every process's output (handy while
 * debugging an end-to-end test).
 */
export function defaultSink(env: Record<string, string | undefined> = process.env): OutputSink | undefined {
  return env.DEVSTACK_LOGS === "1" || env.DEVSTACK_LOGS === "true" ? createConsoleSink({ write: (t) => void process.stderr.write(t) }) : undefined;
}
