import { createHash, timingSafeEqual } from "node:crypto";
import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { z } from "zod";
import type { ConfigContext } from "./config.js";

/**
 * Service-to-service authentication for Connect RPC (and gRPC, gRPC-Web).
 *
 * Every caller has a name (gateway, fulfilment, notification, operator) and
 * a random token, sent as `Authorization: Bearer <token>`. A server never
 * holds a caller's token, only its SHA-256 digest: a compromised callee
 * cannot impersonate its callers to anyone else. Which caller may call which
 * method is one policy for the whole platform (services/topology), checked
 * by every server, and anything the policy does not name is refused.
 */

/** Who may call each method: `"<package>.<Service>/<Method>"` → caller names. */
export type RpcAccessPolicy = Readonly<Record<string, readonly string[]>>;

/** What a server needs to check callers. */
export interface RpcAuth {
  readonly policy: RpcAccessPolicy;
  /** Caller name → SHA-256 digest (hex) of its token. */
  readonly callers: Readonly<Record<string, string>>;
}

/** Services every process serves without a token: health checks (kubelet probes send none) and reflection (the schema only, no data). */
export const UNAUTHENTICATED_SERVICES: ReadonlySet<string> = new Set([
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
]);

/** The caller an RPC was authenticated as, for handlers that want it (e.g. to record who replayed a webhook). */
export const rpcCaller = createContextKey<string | undefined>(undefined, { description: "the authenticated RPC caller" });

/** SHA-256 of a token, hex: what a server is configured with. */
export const tokenDigest = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

/** The environment variable holding a caller's own token (the caller reads it). */
export const rpcTokenVariable = <N extends string>(caller: N) => `RPC_TOKEN_${caller.toUpperCase() as Uppercase<N>}` as const;
/** The environment variable holding a caller's token digest (servers it may call read it). */
export const rpcDigestVariable = <N extends string>(caller: N) => `RPC_TOKEN_${caller.toUpperCase() as Uppercase<N>}_SHA256` as const;

const MIN_TOKEN_LENGTH = 32;

/** Config shape for a process's own token: required in production, a sandbox value elsewhere. */
export function rpcTokenShape<N extends string>(ctx: ConfigContext, caller: N, sandboxToken: string) {
  const schema = z.string().min(MIN_TOKEN_LENGTH, `must be at least ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32)`);
  return { [rpcTokenVariable(caller)]: ctx.production ? schema : schema.default(sandboxToken) } as unknown as {
    [K in `RPC_TOKEN_${Uppercase<N>}`]: z.ZodType<string, string | undefined>;
  };
}

/** Config shape for the digests of the callers a server accepts: required in production, the sandbox tokens' digests elsewhere. */
export function rpcCallersShape<N extends string>(ctx: ConfigContext, callers: readonly N[], sandboxToken: (caller: N) => string) {
  const schema = z
    .string()
    .regex(/^[0-9a-f]{64}$/, "must be the SHA-256 of the caller's token, 64 lowercase hex digits (echo -n \"$TOKEN\" | sha256sum)");
  return Object.fromEntries(
    callers.map((caller) => [rpcDigestVariable(caller), ctx.production ? schema : schema.default(tokenDigest(sandboxToken(caller)))]),
  ) as unknown as { [K in `RPC_TOKEN_${Uppercase<N>}_SHA256`]: z.ZodType<string, string | undefined> };
}

/** The digests a server was configured with, by caller name. */
export function rpcCallersFromConfig<N extends string>(config: Readonly<Record<string, unknown>>, callers: readonly N[]): Record<N, string> {
  return Object.fromEntries(callers.map((caller) => [caller, String(config[rpcDigestVariable(caller)])])) as Record<N, string>;
}

/** The methods a policy lets `caller` call. */
export const methodsAllowed = (policy: RpcAccessPolicy, caller: string): string[] =>
  Object.entries(policy)
    .filter(([, callers]) => callers.includes(caller))
    .map(([method]) => method);

/** Every caller the policy lets call any method of these services. */
export function callersOf(policy: RpcAccessPolicy, serviceTypeNames: readonly string[]): string[] {
  const callers = new Set<string>();
  for (const [method, allowed] of Object.entries(policy)) {
    if (serviceTypeNames.includes(method.split("/", 1)[0]!)) for (const c of allowed) callers.add(c);
  }
  return [...callers].sort();
}

/**
 * Checks every call: UNAUTHENTICATED without a known token, PERMISSION_DENIED
 * when the caller is not allowed this method (or the policy does not name
 * it). Tokens are compared as digests in constant time; none is ever logged.
 */
export function authInterceptor(auth: RpcAuth): Interceptor {
  const known = Object.entries(auth.callers).map(([name, hex]) => ({ name, digest: Buffer.from(hex, "hex") }));
  const identify = (token: string): string | undefined => {
    const presented = createHash("sha256").update(token, "utf8").digest();
    let found: string | undefined;
    // Compare against every known digest, so timing does not tell which (if any) matched.
    for (const caller of known) if (caller.digest.length === presented.length && timingSafeEqual(caller.digest, presented)) found = caller.name;
    return found;
  };
  return (next) => async (req) => {
    if (UNAUTHENTICATED_SERVICES.has(req.service.typeName)) return next(req);
    const match = /^Bearer\s+(\S+)$/i.exec(req.header.get("authorization") ?? "");
    const caller = match ? identify(match[1]!) : undefined;
    if (!caller) throw new ConnectError("a service token is required (Authorization: Bearer <token>)", Code.Unauthenticated);
    const method = `${req.service.typeName}/${req.method.name}`;
    if (!auth.policy[method]?.includes(caller)) {
      throw new ConnectError(`${caller} may not call ${method}`, Code.PermissionDenied);
    }
    req.contextValues.set(rpcCaller, caller);
    return next(req);
  };
}

/** Sends the caller's token on every call. */
export function bearerInterceptor(token: string): Interceptor {
  return (next) => async (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}
