import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { defaultCatalogueFile } from "../config.js";
import { seedFromCatalogue } from "./catalogue.js";

const product = (sku: string, tenures: { tenure: string; price: string }[]) => ({ name: `Product ${sku}`, description: "d", zohoItemSku: sku, tenures });

describe("seedFromCatalogue", () => {
  it("seeds one item per product of the shared catalogue, priced at the yearly rate", async () => {
    const json = JSON.parse(await readFile(defaultCatalogueFile, "utf8")) as { products: unknown[] };
    const seed = seedFromCatalogue(json);
    expect(seed.currencyCode).toBe("NGN");
    expect(seed.items).toHaveLength(json.products.length);
    expect(seed.items.find((i) => i.sku === "ZOHO-CRM-STD")).toEqual({
      sku: "ZOHO-CRM-STD",
      name: "Zoho CRM Standard",
      description: expect.any(String),
      rate: 216000,
    });
  });

  it("falls back to the first tenure's price when there is no yearly one", () => {
    const seed = seedFromCatalogue({ currency: "NGN", products: [product("A", [{ tenure: "1_MONTH", price: "1500.50" }])] });
    expect(seed.items[0]?.rate).toBe(1500.5);
  });

  it("rejects a catalogue with a duplicate SKU or a bad price", () => {
    const twice = { currency: "NGN", products: [product("A", [{ tenure: "1_MONTH", price: "1" }]), product("A", [{ tenure: "1_MONTH", price: "2" }])] };
    expect(() => seedFromCatalogue(twice)).toThrow("SKU A appears twice");
    expect(() => seedFromCatalogue({ currency: "NGN", products: [product("B", [{ tenure: "1_MONTH", price: "ten" }])] })).toThrow(
      "products.0.tenures.0.price: must be a decimal amount",
    );
  });
});
