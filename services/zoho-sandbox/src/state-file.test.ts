import { describe, expect, it } from "vitest";
import { formatStateFile, parseStateFile } from "./state-file.js";

describe("the sandbox state file format", () => {
  const org = { lastId: 1_764_000_000_000_123, lastAutoNumber: 2, itemIds: { "ZOHO-CRM-STD": "1" }, contacts: [], salesOrders: [] };

  it("reads back what it wrote", () => {
    expect(parseStateFile(formatStateFile(org), "state.json")).toEqual(org);
  });

  it("refuses a file it cannot use, saying what to do", () => {
    expect(() => parseStateFile("{not json", "state.json")).toThrow(/state\.json is not JSON .*move it away/);
    expect(() => parseStateFile(JSON.stringify({ version: 2, org }), "state.json")).toThrow(/not a Zoho sandbox state file of version 1/);
    expect(() => parseStateFile(JSON.stringify({ version: 1, org: { ...org, lastId: "x" } }), "state.json")).toThrow(/version 1/);
  });
});
