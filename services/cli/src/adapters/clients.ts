import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Target } from "../domain/targets.js";

/** A failed call, with where it went (so the error can say which process could not be reached). */
export class CallFailed extends Error {
  override readonly name = "CallFailed";
  constructor(
    override readonly cause: unknown,
    readonly target: Target,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** Finds the CallFailed under an error (Connect may wrap what an interceptor throws). */
export function callFailureOf(err: unknown): CallFailed | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) if (e instanceof CallFailed) return e;
  return undefined;
}

const withTarget =
  (target: Target): Interceptor =>
  (next) =>
  async (req) => {
    req.header.set("authorization", `Bearer ${target.token}`);
    try {
      return await next(req);
    } catch (err) {
      throw new CallFailed(err, target);
    }
  };

/**
 * Connect clients over HTTP/1.1 (the Connect protocol, which any Ingress
 * passes), one transport per process, the operator token on every call.
 */
export function connectClients(targetOf: (service: DescService) => Target, transportOf: (target: Target, interceptors: Interceptor[]) => Transport = defaultTransport) {
  const transports = new Map<string, Transport>();
  return <S extends DescService>(service: S): Client<S> => {
    const target = targetOf(service);
    const key = `${target.baseUrl} ${target.token}`;
    let transport = transports.get(key);
    if (!transport) transports.set(key, (transport = transportOf(target, [withTarget(target)])));
    return createClient(service, transport);
  };
}

const defaultTransport = (target: Target, interceptors: Interceptor[]): Transport =>
  createConnectTransport({ baseUrl: target.baseUrl, httpVersion: "1.1", interceptors, defaultTimeoutMs: 60_000 });
