import { describe, expect, it } from "vitest";
import { dataQueries } from "./promql.js";

describe("dataQueries", () => {
  it("keeps the operands of comparisons and set operators", () => {
    expect(dataQueries('sum(increase(a{x="1"}[15m])) > 10 unless sum(increase(b[15m])) > 0')).toEqual(["sum(increase(a{x=\"1\"}[15m]))", "sum(increase(b[15m]))"]);
    expect(dataQueries('max by (c) (p{ns="t"}) > 1000\n  and max by (c) (q) > 1800')).toEqual(['max by (c) (p{ns="t"})', "max by (c) (q)"]);
  });

  it("looks inside absent() and brackets, and never splits inside label matchers", () => {
    expect(dataQueries('absent(up{ns="t", pod=~"g-[a-z0-9]+-[a-z0-9]+"} == 1)')).toEqual(['up{ns="t", pod=~"g-[a-z0-9]+-[a-z0-9]+"}']);
    expect(dataQueries('(time() - max(s{job_name="w"}) > 1200)\n  or absent(s{job_name="w"})')).toEqual(['time() - max(s{job_name="w"})', 's{job_name="w"}']);
    expect(dataQueries('sum(rate(z{status!~"2.."}[10m])) / sum(rate(z[10m])) > 0.2')).toEqual(['sum(rate(z{status!~"2.."}[10m])) / sum(rate(z[10m]))']);
  });
});
