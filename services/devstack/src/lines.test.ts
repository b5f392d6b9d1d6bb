import { describe, expect, it } from "vitest";
import { indentLines, LineBuffer, LineSplitter } from "./lines.js";

describe("LineSplitter", () => {
  it("joins lines split across chunks and keeps the partial last line", () => {
    const splitter = new LineSplitter();
    expect(splitter.push("one\ntw")).toEqual(["one"]);
    expect(splitter.push("o\r\nthree")).toEqual(["two"]);
    expect(splitter.flush()).toEqual(["three"]);
    expect(splitter.flush()).toEqual([]);
  });

  it("decodes UTF-8 split in the middle of a character", () => {
    const splitter = new LineSplitter();
    const bytes = Buffer.from("naïve\n", "utf8");
    expect(splitter.push(bytes.subarray(0, 3))).toEqual([]);
    expect(splitter.push(bytes.subarray(3))).toEqual(["naïve"]);
  });
});

describe("LineBuffer", () => {
  it("keeps the newest lines up to its capacity", () => {
    const buffer = new LineBuffer(3);
    for (const l of ["a", "b", "c", "d"]) buffer.push(l);
    expect(buffer.last()).toEqual(["b", "c", "d"]);
    expect(buffer.last(2)).toEqual(["c", "d"]);
    expect(buffer.last(0)).toEqual([]);
    expect(buffer.size).toBe(3);
  });

  it("indents lines for error messages", () => {
    expect(indentLines(["x", "y"])).toBe("  | x\n  | y");
    expect(indentLines([])).toBe("  | (no output)");
  });
});
