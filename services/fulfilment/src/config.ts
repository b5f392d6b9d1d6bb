import { baseConfigShape, DefaultPorts, loadConfig, localUrl, port, url } from "@t2m/platform";
import { z } from "zod";

export function loadFulfilmentConfig(env?: Record<string, string | undefined>) {
  return loadConfig(
    "fulfilment",
    () =>
      z.object({
        ...baseConfigShape,
        PORT: port(DefaultPorts.fulfilment),
        NATS_URL: url(["nats:", "tls:"]).default("nats://127.0.0.1:4222"),
        NATS_ACK_WAIT_MS: z.coerce.number().int().min(1_000).default(30_000),
        MONGODB_URL: url(["mongodb:", "mongodb+srv:"]).default("mongodb://127.0.0.1:27017/t2mobile"),
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
