import type { DescService } from "@bufbuild/protobuf";
import { DefaultPorts, localUrl, SandboxDefaults } from "@t2m/topology/local";
import { RpcServices } from "@t2m/topology/rpc-access";
import { UsageError } from "./exit-codes.js";

/**
 * Where each RPC goes. Every Protobuf service is served by one process
 * (services/topology's RpcServices); t2m sends a call to that process:
 * - `--url` (or T2M_URL): one base URL for every service, as the chart's
 *   operator Ingress routes by RPC path (/t2mobile.fulfilment.v1.FulfilmentService/… → fulfilment);
 * - T2M_<SERVER>_URL (e.g. T2M_FULFILMENT_URL): that process's own address
 *   (port-forwards, tests); an explicit --url wins over it, it wins over T2M_URL;
 * - otherwise `npm start`'s address of that process (127.0.0.1 and its default port).
 */
export type ServerName = keyof typeof RpcServices;
export const SERVER_NAMES = Object.keys(RpcServices) as ServerName[];

export function serverOf(service: Pick<DescService, "typeName">): ServerName {
  const server = SERVER_NAMES.find((name) => (RpcServices[name] as readonly DescService[]).some((s) => s.typeName === service.typeName));
  if (!server) throw new Error(`no process serves ${service.typeName}`);
  return server;
}

export const serverUrlVariable = (server: ServerName) => `T2M_${server.toUpperCase()}_URL`;

export interface TargetSettings {
  /** --url's value, or T2M_URL's. */
  readonly url?: string | undefined;
  /** Whether url came from the command line (it then wins over T2M_<SERVER>_URL). */
  readonly urlFromFlag: boolean;
  /** --token's value, or T2M_TOKEN's. */
  readonly token?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface Target {
  readonly server: ServerName;
  readonly baseUrl: string;
  /** npm start's address, chosen because nothing else was given. */
  readonly localDefault: boolean;
  readonly token: string;
}

function checkedUrl(raw: string, from: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${from}: not a URL: ${JSON.stringify(raw)} (e.g. https://ops.example.com)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`${from}: must be http:// or https://, not ${url.protocol}`);
  return raw.replace(/\/+$/, "");
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function resolveTarget(server: ServerName, settings: TargetSettings): Target {
  const own = settings.env[serverUrlVariable(server)] || undefined;
  let baseUrl: string;
  let localDefault = false;
  if (settings.url && (settings.urlFromFlag || !own)) baseUrl = checkedUrl(settings.url, settings.urlFromFlag ? "--url" : "T2M_URL");
  else if (own) baseUrl = checkedUrl(own, serverUrlVariable(server));
  else {
    baseUrl = localUrl(DefaultPorts[server]);
    localDefault = true;
  }
  const token = settings.token || (LOOPBACK.has(new URL(baseUrl).hostname) ? SandboxDefaults.rpcTokens.operator : undefined);
  // The sandbox operator token is public: it is only ever sent to this machine's own stack.
  if (!token) throw new UsageError(`no operator token for ${baseUrl}: give --token or set T2M_TOKEN`);
  return { server, baseUrl, localDefault, token };
}
