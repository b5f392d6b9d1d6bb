import { describe, expect, it } from "vitest";
import { GroupCommit } from "./group-commit.js";

describe("GroupCommit", () => {
  it("writes an idle item at once and groups the ones that arrive meanwhile", async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const commit = new GroupCommit<number, string>({
      maxBatch: 3,
      write: async (items) => {
        batches.push([...items]);
        if (batches.length === 1) await gate;
        return items.map((i) => `ok ${i}`);
      },
    });
    const first = commit.submit(1);
    const rest = [2, 3, 4, 5].map((n) => commit.submit(n));
    expect(batches).toEqual([[1]]);
    expect(commit.waiting).toBe(4);
    release();
    expect(await Promise.all([first, ...rest])).toEqual(["ok 1", "ok 2", "ok 3", "ok 4", "ok 5"]);
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
  });

  it("fails every item of a failed batch, and goes on with the next", async () => {
    let calls = 0;
    const commit = new GroupCommit<number, number>({
      maxBatch: 10,
      write: async (items) => {
        calls += 1;
        if (calls === 1) throw new Error("store down");
        return items;
      },
    });
    await expect(commit.submit(1)).rejects.toThrow("store down");
    expect(await commit.submit(2)).toBe(2);
  });
});
