/**
 * Turns the platform's pino JSON lines into short readable ones for a
 * terminal, and prefixes every line with its process name. Pure functions;
 * colour is a parameter so tests see the plain text.
 */

const LEVELS: Record<number, { label: string; colour: number }> = {
  10: { label: "TRACE", colour: 90 },
  20: { label: "DEBUG", colour: 90 },
  30: { label: "INFO", colour: 32 },
  40: { label: "WARN", colour: 33 },
  50: { label: "ERROR", colour: 31 },
  60: { label: "FATAL", colour: 35 },
};

/** Fields every platform line carries, or that are shown in their own place. */
const HIDDEN_FIELDS = new Set(["level", "time", "msg", "pid", "hostname", "service", "name", "v", "err", "error"]);

const MAX_VALUE_LENGTH = 120;

const ZERO_ID = /^0+$/;

export const paint = (colour: boolean, code: number, text: string): string => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);

function formatValue(value: unknown): string {
  const text = typeof value === "string" ? (/[\s"=]/.test(value) || value === "" ? JSON.stringify(value) : value) : JSON.stringify(value);
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}

function formatError(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return err === undefined ? undefined : String(err);
  const e = err as { type?: unknown; message?: unknown; stack?: unknown };
  const firstFrame = typeof e.stack === "string" ? e.stack.split("\n").find((l) => l.trim().startsWith("at "))?.trim() : undefined;
  const head = `${typeof e.type === "string" ? `${e.type}: ` : ""}${typeof e.message === "string" ? e.message : JSON.stringify(err)}`;
  return firstFrame ? `${head} (${firstFrame})` : head;
}

const GO_LEVELS: Record<string, number> = { DEBUG: 20, INFO: 30, WARN: 40, ERROR: 50 };
const NATS_LEVELS: Record<string, number> = { TRC: 10, DBG: 20, INF: 30, WRN: 40, ERR: 50, FTL: 60 };

/** Go slog text (FerretDB): time=2026-11-27T00:49:32.267Z level=WARN msg="…" key=value … */
function parseSlog(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("time=") || !line.includes(" level=")) return undefined;
  const record: Record<string, unknown> = {};
  const pair = /([\w.]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (const [, key, raw] of line.matchAll(pair)) {
    if (key === undefined || raw === undefined) continue;
    let value: string = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        value = raw.slice(1, -1);
      }
    }
    record[key] = value;
  }
  const level = String(record.level ?? "");
  record.level = GO_LEVELS[level.replace(/[+-]\d+$/, "")] ?? 30;
  return typeof record.msg === "string" ? record : undefined;
}

/** nats-server: [1234] 2026/11/27 00:35:29.626392 [INF] Starting nats-server */
function parseNatsLog(line: string): Record<string, unknown> | undefined {
  const match = /^\[\d+\] (\d{4})\/(\d\d)\/(\d\d) (\d\d:\d\d:\d\d\.\d{3})\d* \[(\w{3})\] (.*)$/.exec(line);
  if (!match) return undefined;
  return { level: NATS_LEVELS[match[5] ?? ""] ?? 30, time: `${match[1]}-${match[2]}-${match[3]}T${match[4]}Z`, msg: match[6] };
}

/**
 * A pino JSON line (the platform's processes), a Go slog line (FerretDB) or a
 * nats-server line as "12:00:01.234 INFO  message key=value …"; any other
 * line comes back unchanged.
 */
export function formatLogLine(line: string, colour = false): string {
  const other = parseSlog(line) ?? parseNatsLog(line);
  if (other) return formatRecord(other, colour);
  const trimmed = line.trim();
  if (!trimmed.startsWith("{") || !trimmed.endsWith("}")) return line;
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return line;
    record = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof record.level !== "number" || !("msg" in record || "time" in record)) return line;
  return formatRecord(record, colour);
}

function formatRecord(record: Record<string, unknown>, colour: boolean): string {
  const levelNumber = typeof record.level === "number" ? record.level : 30;
  const level = LEVELS[levelNumber] ?? { label: `L${levelNumber}`, colour: 37 };
  const time = typeof record.time === "string" ? record.time.slice(11, 23) : typeof record.time === "number" ? new Date(record.time).toISOString().slice(11, 23) : "";
  const fields = Object.entries(record)
    .filter(([key, value]) => !HIDDEN_FIELDS.has(key) && value !== undefined)
    // Span ids say little to a reader; an all-zero trace id (nothing sampled) says nothing.
    .filter(([key, value]) => key !== "spanId" && !(key === "traceId" && typeof value === "string" && ZERO_ID.test(value)))
    .map(([key, value]) => `${paint(colour, 2, `${key}=`)}${formatValue(value)}`);
  const error = formatError(record.err ?? record.error);
  const parts = [
    paint(colour, 2, time),
    paint(colour, level.colour, level.label.padEnd(5)),
    typeof record.msg === "string" ? record.msg : "",
    ...fields,
  ];
  if (error) parts.push(paint(colour, 31, `error=${error}`));
  return parts.filter((p) => p !== "").join(" ");
}

const NAME_COLOURS = [36, 35, 33, 34, 32, 96, 95, 93, 94, 92];

/** A stable colour per process name. */
export function nameColour(name: string): number {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return NAME_COLOURS[hash % NAME_COLOURS.length] ?? 36;
}

/** "catalogue     | line", the name padded to `width`. */
export function prefixLine(name: string, line: string, options: { colour?: boolean; width?: number } = {}): string {
  const colour = options.colour ?? false;
  const label = name.padEnd(options.width ?? 13);
  return `${paint(colour, nameColour(name), label)} ${paint(colour, 2, "|")} ${line}`;
}

/** Whether a stream should get ANSI colours: a TTY, unless NO_COLOR is set; FORCE_COLOR forces them. */
export function wantsColour(stream: { isTTY?: boolean }, env: Record<string, string | undefined> = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}
