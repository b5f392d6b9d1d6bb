import { InvalidArgumentError } from "commander";

/** Argument parsers for commander: each throws InvalidArgumentError, which t2m reports as a usage error (exit 2). */

export function positiveInt(max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
    return n;
  };
}

export function nonNegativeInt(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n > 2_147_483_647) throw new InvalidArgumentError("must be a whole number, 0 or more");
  return n;
}

/** An ISO 8601 time with a date and a time, e.g. 2026-11-27T10:00:00Z, or a duration back from now: 30m, 6h, 2d. */
export function timeArgument(now: () => Date = () => new Date()) {
  return (raw: string): Date => {
    const back = /^(\d+)([mhd])$/.exec(raw);
    if (back) return new Date(now().getTime() - Number(back[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[back[2] as "m" | "h" | "d"]);
    const time = Date.parse(raw);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(time)) throw new InvalidArgumentError("must be an ISO 8601 time (2026-11-27T10:00:00Z) or a time back from now (30m, 6h, 2d)");
    return new Date(time);
  };
}

/**
 * An enum value by its short name, any case ("fulfilled" → OrderStatus.FULFILLED),
 * from a protobuf-es enum object; UNSPECIFIED is not offered.
 */
export function enumArgument<E extends Record<string, string | number>>(enumObject: E, what: string) {
  const names = Object.keys(enumObject).filter((k) => Number.isNaN(Number(k)) && k !== "UNSPECIFIED");
  return Object.assign(
    (raw: string): E[keyof E] => {
      const name = names.find((n) => n === raw.toUpperCase().replace(/-/g, "_"));
      if (!name) throw new InvalidArgumentError(`not a ${what}; one of: ${names.map((n) => n.toLowerCase()).join(", ")}`);
      return enumObject[name as keyof E];
    },
    { names: names.map((n) => n.toLowerCase()) },
  );
}

/** An enum value's short name for people: OrderStatus.FULFILLED → "FULFILLED". */
export const enumName = <E extends Record<string | number, string | number>>(enumObject: E, value: number): string => String(enumObject[value] ?? value);
