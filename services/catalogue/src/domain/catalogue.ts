import { create } from "@bufbuild/protobuf";
import { ProductSchema, type Product } from "@t2m/proto/catalogue/v1/catalogue";
import { z } from "zod";

const TENURE_PATTERN = /^(\d{1,3})_MONTHS?$/;

const tenureSchema = z
  .object({
    tenure: z.string().regex(TENURE_PATTERN, 'must look like "12_MONTHS"'),
    months: z.number().int().min(1).max(120),
    price: z.string().regex(/^\d+(\.\d{1,2})?$/, 'must be a decimal amount such as "216000.00"'),
    // What renewing for this tenure costs, when it differs from the first period's price.
    renewalPrice: z.string().regex(/^\d+(\.\d{1,2})?$/, 'must be a decimal amount such as "200000.00"').optional(),
  })
  .refine((t) => Number(TENURE_PATTERN.exec(t.tenure)?.[1]) === t.months, {
    message: "months must match the tenure code",
    path: ["months"],
  });

const catalogueFileSchema = z.object({
  currency: z.string().regex(/^[A-Z]{3}$/),
  products: z
    .array(
      z.object({
        productId: z.string().regex(/^[A-Z0-9_]{2,64}$/),
        name: z.string().min(1),
        description: z.string(),
        zohoItemSku: z.string().min(1),
        tenures: z.array(tenureSchema).min(1),
      }),
    )
    .min(1),
});

export type CatalogueFile = z.infer<typeof catalogueFileSchema>;

export class CatalogueFileError extends Error {
  constructor(problems: string[]) {
    super(`invalid catalogue file:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "CatalogueFileError";
  }
}

/** Parses a decimal amount ("216000.00") into minor units (21600000) without floating point. */
export function toMinorUnits(amount: string): bigint {
  const [whole = "0", fraction = ""] = amount.split(".");
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, "0"));
}

/** The products T2Mobile may order, indexed by product id. */
export class Catalogue {
  private readonly byId: ReadonlyMap<string, Product>;

  private constructor(readonly products: readonly Product[]) {
    this.byId = new Map(products.map((p) => [p.productId, p]));
  }

  /** Validates the catalogue file's content; every problem is reported at once. */
  static parse(content: unknown): Catalogue {
    const result = catalogueFileSchema.safeParse(content);
    if (!result.success) {
      throw new CatalogueFileError(result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
    }
    const file = result.data;
    const problems: string[] = [];
    const seen = new Set<string>();
    const skus = new Set<string>();
    for (const product of file.products) {
      if (seen.has(product.productId)) problems.push(`products: duplicate productId ${product.productId}`);
      seen.add(product.productId);
      // Zoho: "SKU is unique for every item".
      if (skus.has(product.zohoItemSku)) problems.push(`products: duplicate zohoItemSku ${product.zohoItemSku}`);
      skus.add(product.zohoItemSku);
      const tenures = new Set(product.tenures.map((t) => t.tenure));
      if (tenures.size !== product.tenures.length) problems.push(`${product.productId}: duplicate tenure`);
    }
    if (problems.length > 0) throw new CatalogueFileError(problems);
    return new Catalogue(
      file.products.map((p) =>
        create(ProductSchema, {
          productId: p.productId,
          name: p.name,
          description: p.description,
          zohoItemSku: p.zohoItemSku,
          tenures: p.tenures.map((t) => ({
            tenure: t.tenure,
            months: t.months,
            price: { currencyCode: file.currency, amountMinor: toMinorUnits(t.price) },
            renewalPrice: { currencyCode: file.currency, amountMinor: toMinorUnits(t.renewalPrice ?? t.price) },
          })),
        }),
      ),
    );
  }

  find(productId: string): Product | undefined {
    return this.byId.get(productId);
  }
}
