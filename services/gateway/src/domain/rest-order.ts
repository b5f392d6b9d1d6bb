/**
 * The Idempotency-Key header's value. The IETF draft sends it as a quoted
 * structured-field string (\" and \\ escaped); T2Mobile's seed examples send
 * it bare. Both work. Several values, or a broken quoted string, read as ""
 * (missing) and are refused by the key's rule.
 */
export function readIdempotencyKey(header: string | string[] | undefined): string {
  if (Array.isArray(header) && header.length !== 1) return "";
  const value = (Array.isArray(header) ? header[0]! : (header ?? "")).trim();
  if (!value.startsWith('"')) return value;
  const quoted = /^"((?:[^"\\]|\\["\\])*)"$/.exec(value);
  return quoted ? quoted[1]!.replace(/\\(["\\])/g, "$1") : "";
}

/** Formats minor units as a decimal string: 21600000 → "216000.00". */
export function formatAmount(amountMinor: bigint): string {
  const negative = amountMinor < 0n;
  const abs = negative ? -amountMinor : amountMinor;
  return `${negative ? "-" : ""}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
}
