import { z } from "zod";

/** An item the sandbox organisation starts with. */
export interface SeedItem {
  readonly sku: string;
  readonly name: string;
  readonly description: string;
  readonly rate: number;
}

const catalogueSchema = z.object({
  currency: z.string().min(1),
  products: z.array(
    z.object({
      name: z.string().min(1),
      description: z.string().default(""),
      zohoItemSku: z.string().min(1),
      tenures: z
        .array(z.object({ tenure: z.string(), price: z.string().regex(/^\d+(\.\d{1,2})?$/, "must be a decimal amount") }))
        .min(1),
    }),
  ),
});

export interface SeedCatalogue {
  readonly currencyCode: string;
  readonly items: readonly SeedItem[];
}

/**
 * One Zoho item per catalogue product. An item has a single rate, so it takes
 * the yearly price when the product has one (what most orders buy), else the
 * first tenure's; sales orders send their own rate per line anyway.
 */
export function seedFromCatalogue(json: unknown): SeedCatalogue {
  const parsed = catalogueSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`catalogue is not valid: ${problems.join("; ")}`);
  }
  const items = parsed.data.products.map((product) => {
    const tenure = product.tenures.find((t) => t.tenure === "12_MONTHS") ?? product.tenures[0]!;
    return { sku: product.zohoItemSku, name: product.name, description: product.description, rate: Number(tenure.price) };
  });
  const skus = new Set<string>();
  for (const item of items) {
    // Zoho: "SKU is unique for every item".
    if (skus.has(item.sku)) throw new Error(`catalogue is not valid: SKU ${item.sku} appears twice`);
    skus.add(item.sku);
  }
  return { currencyCode: parsed.data.currency, items };
}
