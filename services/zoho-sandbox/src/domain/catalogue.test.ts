import { loadCatalogue } from "@t2m/catalogue";
import { describe, expect, it } from "vitest";
import { defaultCatalogueFile } from "../config.js";
import { seedFromProducts } from "./catalogue.js";

describe("seedFromProducts", () => {
  it("seeds one item per product of the shared catalogue, priced at the yearly rate", async () => {
    const { products } = await loadCatalogue(defaultCatalogueFile);
    const seed = seedFromProducts(products);
    expect(seed.currencyCode).toBe("NGN");
    expect(seed.items).toHaveLength(products.length);
    expect(seed.items.find((i) => i.sku === "ZOHO-CRM-STD")).toEqual({
      sku: "ZOHO-CRM-STD",
      name: "Zoho CRM Standard",
      description: expect.any(String),
      rate: 216000,
    });
  });

  it("falls back to the first tenure's price when there is no yearly one", async () => {
    const { products } = await loadCatalogue(defaultCatalogueFile);
    const mail = products.find((p) => p.productId === "ZOHO_MAIL_LITE")!;
    const monthlyOnly = { ...mail, tenures: mail.tenures.filter((t) => t.tenure === "1_MONTH") };
    expect(seedFromProducts([monthlyOnly]).items[0]?.rate).toBe(1500);
  });
});
