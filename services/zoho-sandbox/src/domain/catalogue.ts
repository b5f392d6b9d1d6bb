import type { Product } from "@t2m/proto/catalogue/v1/catalogue";

/** An item the sandbox organisation starts with. */
export interface SeedItem {
  readonly sku: string;
  readonly name: string;
  readonly description: string;
  readonly rate: number;
}

export interface SeedCatalogue {
  readonly currencyCode: string;
  readonly items: readonly SeedItem[];
}

/**
 * One Zoho item per catalogue product. An item has a single rate, so it takes
 * the yearly price when the product has one (what most orders buy), else the
 * first tenure's; sales orders send their own rate per line anyway.
 */
export function seedFromProducts(products: readonly Product[]): SeedCatalogue {
  const items = products.map((product) => {
    const tenure = product.tenures.find((t) => t.tenure === "12_MONTHS") ?? product.tenures[0];
    return {
      sku: product.zohoItemSku,
      name: product.name,
      description: product.description,
      rate: Number(tenure?.price?.amountMinor ?? 0n) / 100,
    };
  });
  const currencyCode = products[0]?.tenures[0]?.price?.currencyCode ?? "NGN";
  return { currencyCode, items };
}
