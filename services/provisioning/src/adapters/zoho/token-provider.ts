import type { Logger } from "@t2m/platform";
import { exchange, type ZohoHttpOptions } from "./http.js";
import { parseTokenResponse, tokenRequestBody } from "./wire.js";

export interface TokenProviderOptions {
  readonly accountsUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
  readonly http: ZohoHttpOptions;
  readonly logger: Logger;
  readonly now: () => number;
  /** The API's origin, to warn when Zoho says the organisation lives elsewhere. */
  readonly apiOrigin: string;
}

/** Refresh this long before Zoho's expiry, so a token never lapses mid-request. */
const REFRESH_MARGIN_MS = 60_000;

/**
 * Zoho access tokens from the refresh-token grant: one cached until shortly
 * before it expires, and one refresh at a time however many callers ask
 * (Zoho limits how many tokens a refresh token may mint per 10 minutes).
 */
export class ZohoAccessTokenProvider {
  readonly #options: TokenProviderOptions;
  #cached: { token: string; refreshAt: number } | undefined;
  #refreshing: Promise<string> | undefined;
  #warnedAboutDomain = false;

  constructor(options: TokenProviderOptions) {
    this.#options = options;
  }

  async get(): Promise<string> {
    if (this.#cached && this.#options.now() < this.#cached.refreshAt) return this.#cached.token;
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** Drops the token if it is still the cached one (Zoho refused it), so the next get() refreshes. */
  invalidate(token: string): void {
    if (this.#cached?.token === token) this.#cached = undefined;
  }

  async #refresh(): Promise<string> {
    const o = this.#options;
    const url = new URL("/oauth/v2/token", o.accountsUrl);
    const { status, json } = await exchange(o.http, "token", url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: tokenRequestBody(o).toString(),
    });
    const grant = parseTokenResponse(status, json);
    const lifetimeMs = grant.expiresInSeconds * 1000;
    // A short-lived token is refreshed at half its life rather than never cached.
    this.#cached = { token: grant.accessToken, refreshAt: o.now() + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2) };
    o.logger.info({ expiresInSeconds: grant.expiresInSeconds }, "zoho access token refreshed");
    const apiDomain = grant.apiDomain && URL.canParse(grant.apiDomain) ? new URL(grant.apiDomain).origin : undefined;
    if (apiDomain && apiDomain !== o.apiOrigin && !this.#warnedAboutDomain) {
      this.#warnedAboutDomain = true;
      o.logger.warn({ apiDomain: grant.apiDomain, apiOrigin: o.apiOrigin }, "zoho api_domain differs from the configured API URL; check the data centre");
    }
    return grant.accessToken;
  }
}
