import { baseConfigShape, natsConfigShape, mongoConfigShape, loadConfig, port, url } from "@t2m/platform";
import { DefaultPorts, localUrl } from "@t2m/topology";
import { z } from "zod";

export function loadFulfilmentConfig(env?: Record<string, string | undefined>) {
  return loadConfig(
    "fulfilment",
    () =>
      z.object({
        ...baseConfigShape,
        PORT: port(DefaultPorts.fulfilment),
        ...natsConfigShape,
        ...mongoConfigShape,
        CATALOGUE_URL: url(["http:", "https:"]).default(localUrl(DefaultPorts.catalogue)),
        PROVISIONING_URL: url(["http:", "https:"]).default(localUrl(DefaultPorts.provisioning)),
        /** Orders handled at once by this process. */
        FULFILMENT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
        OUTBOX_RELAY_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
      }),
    env,
  );
}

export type FulfilmentConfig = ReturnType<typeof loadFulfilmentConfig>;
