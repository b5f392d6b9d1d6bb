import type { CatalogueOffer } from "./order.js";

export type OfferLookup = CatalogueOffer | "PRODUCT_NOT_FOUND" | "TENURE_NOT_OFFERED";

/** A product as the catalogue lists it, reduced to what an order needs. */
export interface ListedProduct {
  readonly productId: string;
  readonly name: string;
  readonly zohoItemSku: string;
  readonly tenures: readonly {
    readonly tenure: string;
    readonly months: number;
    readonly price?: { readonly currencyCode: string; readonly amountMinor: number };
    readonly renewalPrice?: { readonly currencyCode: string; readonly amountMinor: number };
  }[];
}

/**
 * The catalogue's offers, held in memory so accepting an order costs no call
 * to the Catalogue service. Rebuilt whole on every refresh.
 */
export class OfferBook {
  private readonly offers = new Map<string, Map<string, CatalogueOffer>>();

  constructor(products: readonly ListedProduct[]) {
    for (const product of products) {
      const tenures = new Map<string, CatalogueOffer>();
      for (const t of product.tenures) {
        if (!t.price) continue;
        tenures.set(t.tenure, {
          productId: product.productId,
          productName: product.name,
          zohoItemSku: product.zohoItemSku,
          tenure: t.tenure,
          months: t.months,
          price: { currencyCode: t.price.currencyCode, amountMinor: t.price.amountMinor },
          renewalPrice: t.renewalPrice ? { currencyCode: t.renewalPrice.currencyCode, amountMinor: t.renewalPrice.amountMinor } : { ...t.price },
        });
      }
      this.offers.set(product.productId, tenures);
    }
  }

  get productCount(): number {
    return this.offers.size;
  }

  find(productId: string, tenure: string): OfferLookup {
    const tenures = this.offers.get(productId);
    if (!tenures) return "PRODUCT_NOT_FOUND";
    return tenures.get(tenure) ?? "TENURE_NOT_OFFERED";
  }
}
