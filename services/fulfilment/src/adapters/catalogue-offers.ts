import type { Client } from "@connectrpc/connect";
import type { Logger, ReadinessCheck } from "@t2m/platform";
import type { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import { OfferBook, type OfferLookup } from "../domain/offers.js";

/**
 * The catalogue's offers held in memory and refreshed in the background, so
 * intake never calls the Catalogue service. Until the first load succeeds
 * the process is not ready (it cannot price an order).
 */
export class CatalogueOffers {
  private book: OfferBook | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly catalogue: Client<typeof CatalogueService>,
    private readonly logger: Logger,
    private readonly refreshMs: number,
  ) {}

  /** Loads now and keeps refreshing; a failed load is retried sooner and logged, the last good offers stay. */
  start(): void {
    const tick = async () => {
      let delay = this.refreshMs;
      try {
        await this.refresh();
      } catch (err) {
        delay = this.book ? this.refreshMs : 1_000;
        this.logger.warn({ err, retryInMs: delay }, "could not load the catalogue's offers");
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), delay).unref();
    };
    void tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  async refresh(): Promise<void> {
    const { products } = await this.catalogue.listProducts({});
    const book = new OfferBook(
      products.map((p) => ({
        productId: p.productId,
        name: p.name,
        zohoItemSku: p.zohoItemSku,
        tenures: p.tenures.map((t) => ({
          tenure: t.tenure,
          months: t.months,
          ...(t.price ? { price: { currencyCode: t.price.currencyCode, amountMinor: Number(t.price.amountMinor) } } : {}),
          ...(t.renewalPrice ? { renewalPrice: { currencyCode: t.renewalPrice.currencyCode, amountMinor: Number(t.renewalPrice.amountMinor) } } : {}),
        })),
      })),
    );
    if (!this.book) this.logger.info({ products: book.productCount }, "catalogue offers loaded");
    this.book = book;
  }

  find(productId: string, tenure: string): OfferLookup {
    if (!this.book) throw new CatalogueNotLoaded();
    return this.book.find(productId, tenure);
  }

  readiness(): ReadinessCheck {
    return {
      name: "catalogue-offers",
      check: async () => {
        if (!this.book) throw new Error("the catalogue's offers are not loaded yet");
      },
    };
  }
}

export class CatalogueNotLoaded extends Error {
  constructor() {
    super("the catalogue's offers are not loaded yet");
    this.name = "CatalogueNotLoaded";
  }
}
