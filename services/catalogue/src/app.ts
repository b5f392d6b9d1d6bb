import { readFile } from "node:fs/promises";
import type { ConnectRouter } from "@connectrpc/connect";
import { Code, reasonedError } from "@t2m/platform";
import { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import { Catalogue } from "./domain/catalogue.js";

export async function loadCatalogue(path: string): Promise<Catalogue> {
  let content: unknown;
  try {
    content = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new Error(`cannot read catalogue file ${path}: ${(err as Error).message}`);
  }
  return Catalogue.parse(content);
}

export function catalogueRoutes(catalogue: Catalogue) {
  return (router: ConnectRouter) =>
    router.service(CatalogueService, {
      listProducts: () => ({ products: [...catalogue.products] }),
      getProduct: (req) => {
        const product = catalogue.find(req.productId);
        if (!product) throw reasonedError(Code.NotFound, "PRODUCT_NOT_FOUND", `no product with id "${req.productId}"`);
        return { product };
      },
    });
}
