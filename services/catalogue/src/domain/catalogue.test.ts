import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { Catalogue, CatalogueFileError, toMinorUnits } from "./catalogue.js";

const valid = {
  currency: "NGN",
  products: [
    {
      productId: "ZOHO_CRM_STD",
      name: "Zoho CRM Standard",
      description: "CRM",
      zohoItemSku: "ZOHO-CRM-STD",
      tenures: [{ tenure: "12_MONTHS", months: 12, price: "216000.00" }],
    },
  ],
};

describe("Catalogue", () => {
  it("parses products with prices in minor units", () => {
    const catalogue = Catalogue.parse(valid);
    const product = catalogue.find("ZOHO_CRM_STD");
    expect(product?.tenures[0]?.price?.amountMinor).toBe(21_600_000n);
    expect(product?.tenures[0]?.price?.currencyCode).toBe("NGN");
    expect(catalogue.find("NOPE")).toBeUndefined();
  });

  it("gives each tenure a renewal price: its own when the file sets one, else the price", () => {
    const withRenewal = { ...valid, products: [{ ...valid.products[0]!, tenures: [{ tenure: "12_MONTHS", months: 12, price: "216000.00", renewalPrice: "199999.50" }] }] };
    expect(Catalogue.parse(withRenewal).find("ZOHO_CRM_STD")?.tenures[0]?.renewalPrice).toMatchObject({ currencyCode: "NGN", amountMinor: 19_999_950n });
    expect(Catalogue.parse(valid).find("ZOHO_CRM_STD")?.tenures[0]?.renewalPrice).toMatchObject({ currencyCode: "NGN", amountMinor: 21_600_000n });
  });

  it("reports every problem in a bad file at once", () => {
    const bad = {
      currency: "naira",
      products: [{ ...valid.products[0], productId: "bad id", tenures: [{ tenure: "12_MONTHS", months: 6, price: "1,000" }] }],
    };
    try {
      Catalogue.parse(bad);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CatalogueFileError);
      const message = (err as Error).message;
      expect(message).toContain("currency");
      expect(message).toContain("productId");
      expect(message).toContain("price");
    }
  });

  it("rejects duplicate products, SKUs and tenures", () => {
    const product = valid.products[0]!;
    expect(() => Catalogue.parse({ ...valid, products: [product, product] })).toThrow(/duplicate productId/);
    expect(() => Catalogue.parse({ ...valid, products: [product, { ...product, productId: "OTHER" }] })).toThrow(/duplicate zohoItemSku ZOHO-CRM-STD/);
    expect(() => Catalogue.parse({ ...valid, products: [{ ...product, tenures: [...product.tenures, ...product.tenures] }] })).toThrow(
      /duplicate tenure/,
    );
  });

  it("ships a catalogue with ZOHO_CRM_STD for 12_MONTHS", async () => {
    const file = JSON.parse(await readFile(new URL("../../data/products.json", import.meta.url), "utf8"));
    const catalogue = Catalogue.parse(file);
    expect(catalogue.products.length).toBeGreaterThanOrEqual(4);
    expect(catalogue.find("ZOHO_CRM_STD")?.tenures.map((t) => t.tenure)).toContain("12_MONTHS");
  });
});

describe("toMinorUnits", () => {
  it("converts without floating point error", () => {
    expect(toMinorUnits("0.1")).toBe(10n);
    expect(toMinorUnits("1026000.00")).toBe(102_600_000n);
    expect(toMinorUnits("7")).toBe(700n);
  });
});
