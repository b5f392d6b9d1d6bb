import { Webhook } from "standardwebhooks";

/** Where a message goes and what signs it. */
export interface Endpoint {
  readonly id: string;
  readonly url: string;
  /**
   * Standard Webhooks secrets (whsec_…). Every one signs every message, in
   * one space-separated webhook-signature header, so a receiver holding any
   * of them verifies: that is how a secret is rotated without downtime.
   */
  readonly secrets: readonly string[];
}

/**
 * The one place that knows where messages go: one endpoint per partner, its
 * id the partner's id (PartnerEndpoints), or a single configured one
 * (singleEndpoint, for tests and tools).
 */
export interface EndpointDirectory {
  /** The endpoint a new message for this order goes to (its partner's). */
  endpointIdFor(message: { orderId: string; eventType: string; partnerId?: string }): string;
  /** Undefined for an id that is no longer configured. */
  find(endpointId: string): Endpoint | undefined;
  all(): readonly Endpoint[];
  /** Reads the endpoints again, when they come from elsewhere (PartnerEndpoints). */
  refresh?(): Promise<void>;
}

export const T2MOBILE_ENDPOINT_ID = "t2mobile";

/** Splits T2MOBILE_WEBHOOK_SECRETS: secrets separated by spaces or commas. */
export const splitSecrets = (raw: string | undefined): string[] => (raw ?? "").split(/[\s,]+/).filter(Boolean);

/** Checks that a secret is one the standardwebhooks library accepts. */
export function isWebhookSecret(value: string): boolean {
  if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  try {
    new Webhook(value);
    return true;
  } catch {
    return false;
  }
}

/** One configured endpoint; the secrets are de-duplicated, the primary first. */
export function singleEndpoint(url: string, primarySecret: string, extraSecrets: readonly string[] = []): EndpointDirectory {
  const endpoint: Endpoint = { id: T2MOBILE_ENDPOINT_ID, url, secrets: [...new Set([primarySecret, ...extraSecrets])] };
  return {
    endpointIdFor: () => endpoint.id,
    find: (id) => (id === endpoint.id ? endpoint : undefined),
    all: () => [endpoint],
  };
}

/** Scheme and host of an endpoint's URL, fit for logs and RPC answers (never its path or query). */
export const endpointHost = (endpoint: Endpoint): string => {
  const url = new URL(endpoint.url);
  return `${url.protocol}//${url.host}`;
};
