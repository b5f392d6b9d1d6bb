// The devstack passes each process only the contract variables it reads
// (SERVICE_VARIABLES). That list is kept by hand, so check it against what
// each service's own config loader really reads, in both directions: a
// listed variable must be read, and a contract variable a service reads must
// be listed, or `npm start` and the tests would silently withhold it.
import { loadCatalogueConfig } from "@t2m/catalogue";
import { COMMON_VARIABLES, CONTRACT_VARIABLES, SERVICE_VARIABLES } from "@t2m/devstack";
import { loadFulfilmentConfig } from "@t2m/fulfilment";
import { loadGatewayConfig } from "@t2m/gateway";
import { loadNotificationConfig } from "@t2m/notification";
import { loadProvisioningConfig } from "@t2m/provisioning";
import { describe, expect, it } from "vitest";

const loaders = {
  gateway: loadGatewayConfig,
  catalogue: loadCatalogueConfig,
  fulfilment: loadFulfilmentConfig,
  provisioning: loadProvisioningConfig,
  notification: loadNotificationConfig,
} as const;

describe("the devstack's env contract", () => {
  it.each(Object.keys(loaders) as Array<keyof typeof loaders>)("matches what %s's config loader reads", (service) => {
    const read = Object.keys(loaders[service]({}));
    const common: readonly string[] = COMMON_VARIABLES;
    for (const key of SERVICE_VARIABLES[service]) expect(read, `${service} is given ${key} but does not read it`).toContain(key);
    const contractRead = read.filter((key) => CONTRACT_VARIABLES.has(key) && !common.includes(key));
    expect([...contractRead].sort(), `${service} reads contract variables the stack would not pass it`).toEqual(
      [...SERVICE_VARIABLES[service]].sort(),
    );
  });
});
