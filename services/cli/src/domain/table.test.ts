import { describe, expect, it } from "vitest";
import { formatFields, formatTable } from "./table.js";

describe("formatTable", () => {
  it("aligns columns under their headers, two spaces apart, without trailing spaces", () => {
    expect(formatTable(["ORDER", "STATUS", "NOTE"], [["T2M1", "FULFILLED", ""], ["T2M10000", "PENDING", "waiting"]])).toBe(
      ["ORDER     STATUS     NOTE", "T2M1      FULFILLED", "T2M10000  PENDING    waiting"].join("\n"),
    );
  });

  it("says (none) for no rows, and keeps each row on one line", () => {
    expect(formatTable(["A"], [])).toBe("(none)");
    expect(formatTable(["A", "B"], [["x\ny", "z"]])).toBe("A    B\nx y  z");
  });

  it("measures characters, not bytes", () => {
    expect(formatTable(["NAME", "X"], [["Ọlá", "1"], ["Bo", "2"]])).toBe("NAME  X\nỌlá   1\nBo    2");
  });
});

describe("formatFields", () => {
  it("aligns labels and leaves out empty values", () => {
    expect(formatFields([["order", "T2M1"], ["failure", ""], ["status", "FAILED"], ["detail", undefined]])).toBe("order:  T2M1\nstatus: FAILED");
  });
});
