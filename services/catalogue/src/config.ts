import { fileURLToPath } from "node:url";
import { baseConfigShape, loadConfig, port, rpcCallersShape } from "@t2m/platform";
import { DefaultPorts, RpcCallersOf, SandboxDefaults } from "@t2m/topology";
import { z } from "zod";

/** The catalogue shipped with the repository; the same path from src/ and from dist/. */
export const bundledCatalogueFile = fileURLToPath(new URL("../data/products.json", import.meta.url));

export function loadCatalogueConfig(env?: Record<string, string | undefined>) {
  return loadConfig(
    "catalogue",
    (ctx) =>
      z.object({
        ...baseConfigShape,
        PORT: port(DefaultPorts.catalogue),
        CATALOGUE_FILE: z.string().min(1).default(bundledCatalogueFile),
        ...rpcCallersShape(ctx, RpcCallersOf.catalogue, (caller) => SandboxDefaults.rpcTokens[caller]),
      }),
    env,
  );
}

export type CatalogueConfig = ReturnType<typeof loadCatalogueConfig>;
