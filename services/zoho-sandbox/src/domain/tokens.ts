import { randomBytes } from "node:crypto";
import type { Clock } from "./org.js";

/** The OAuth client and refresh token the sandbox accepts. */
export interface OAuthCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
}

/** What the token endpoint answers: a token, or Zoho's `{"error": …}` body (which Zoho sends with HTTP 200). */
export type TokenGrant =
  | { readonly ok: true; readonly accessToken: string; readonly expiresInSeconds: number }
  | { readonly ok: false; readonly error: string };

/** Access tokens issued by the refresh-token grant, each alive for a fixed time. */
export class AccessTokens {
  readonly #credentials: OAuthCredentials;
  readonly #ttlSeconds: number;
  readonly #now: Clock;
  /** token → expiry (ms since the epoch) */
  readonly #expiries = new Map<string, number>();
  #issued = 0;

  constructor(options: { credentials: OAuthCredentials; ttlSeconds: number; now: Clock }) {
    this.#credentials = options.credentials;
    this.#ttlSeconds = options.ttlSeconds;
    this.#now = options.now;
  }

  /**
   * Zoho answers a bad refresh token with `invalid_code` [T] and a wrong
   * client with `invalid_client` [U]; other grant types are not offered here.
   */
  grant(params: { grant_type?: string; client_id?: string; client_secret?: string; refresh_token?: string }): TokenGrant {
    if (params.grant_type !== "refresh_token") return { ok: false, error: "unsupported_grant_type" };
    if (params.client_id !== this.#credentials.clientId || params.client_secret !== this.#credentials.clientSecret) {
      return { ok: false, error: "invalid_client" };
    }
    if (params.refresh_token !== this.#credentials.refreshToken) return { ok: false, error: "invalid_code" };
    this.#dropExpired();
    const accessToken = `1000.${randomBytes(16).toString("hex")}.${randomBytes(16).toString("hex")}`;
    this.#expiries.set(accessToken, this.#now() + this.#ttlSeconds * 1000);
    this.#issued++;
    return { ok: true, accessToken, expiresInSeconds: this.#ttlSeconds };
  }

  isLive(token: string | undefined): boolean {
    if (token === undefined) return false;
    const expiry = this.#expiries.get(token);
    return expiry !== undefined && this.#now() < expiry;
  }

  /** Makes every issued token stale, as if an hour had passed; returns how many were live. */
  expireAll(): number {
    const live = this.liveCount;
    this.#expiries.clear();
    return live;
  }

  get issuedCount(): number {
    return this.#issued;
  }

  get liveCount(): number {
    const now = this.#now();
    let live = 0;
    for (const expiry of this.#expiries.values()) if (now < expiry) live++;
    return live;
  }

  /** Forgets every token and the issue count. */
  reset(): void {
    this.#expiries.clear();
    this.#issued = 0;
  }

  #dropExpired(): void {
    const now = this.#now();
    for (const [token, expiry] of this.#expiries) if (expiry <= now) this.#expiries.delete(token);
  }
}
