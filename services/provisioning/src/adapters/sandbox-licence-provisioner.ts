import { createHmac } from "node:crypto";
import type { LicenceProvisioner, LicenceRequest } from "../domain/provisioning.js";

/**
 * Zoho has no public API to provision partner licences (see
 * shared/reference/zoho-api.md §3): in production this step is the Partner
 * Store. This provisioner stands in for it. Its activation reference is
 * derived from the order id, so a repeat for the same order yields the same
 * reference, as an idempotent real provisioner would.
 */
export class SandboxLicenceProvisioner implements LicenceProvisioner {
  /** `key` is SANDBOX_LICENCE_KEY: a secret, since anyone holding it can compute every activation reference. */
  constructor(private readonly key: string) {}

  async provision(request: LicenceRequest): Promise<{ activationReference: string }> {
    const digest = createHmac("sha256", this.key).update(request.orderId).digest("hex").toUpperCase();
    const product = request.productId.replace(/^ZOHO_/, "").replace(/_/g, "").slice(0, 6);
    return { activationReference: `ZL-${product}-${digest.slice(0, 4)}-${digest.slice(4, 8)}-${digest.slice(8, 12)}` };
  }
}
