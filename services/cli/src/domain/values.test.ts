import { OrderStatus } from "@t2m/proto/fulfilment/v1/fulfilment";
import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { enumArgument, enumName, positiveInt, timeArgument } from "./values.js";

describe("argument parsers", () => {
  it("read whole numbers in range, and refuse anything else", () => {
    const limit = positiveInt(500);
    expect(limit("25")).toBe(25);
    for (const bad of ["0", "501", "2.5", "-1", "ten", ""]) expect(() => limit(bad)).toThrow(InvalidArgumentError);
  });

  it("read ISO times and durations back from now", () => {
    const now = () => new Date("2026-11-27T10:00:00Z");
    const time = timeArgument(now);
    expect(time("2026-11-26T09:30:00+01:00")).toEqual(new Date("2026-11-26T08:30:00Z"));
    expect(time("6h")).toEqual(new Date("2026-11-27T04:00:00Z"));
    expect(time("2d")).toEqual(new Date("2026-11-25T10:00:00Z"));
    expect(() => time("yesterday")).toThrow(/ISO 8601/);
    expect(() => time("2026-11-27")).toThrow(InvalidArgumentError);
  });

  it("read enum values by name in any case, and list the valid ones", () => {
    const status = enumArgument(OrderStatus, "status");
    expect(status("fulfilled")).toBe(OrderStatus.FULFILLED);
    expect(status("PENDING")).toBe(OrderStatus.PENDING);
    expect(() => status("unspecified")).toThrow(/pending, processing, fulfilled, failed/);
    expect(status.names).toEqual(["pending", "processing", "fulfilled", "failed"]);
    expect(enumName(OrderStatus, OrderStatus.FAILED)).toBe("FAILED");
  });
});
