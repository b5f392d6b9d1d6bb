import { runService } from "@t2m/platform";
import { SandboxDefaults } from "@t2m/topology";
import { createZohoSandboxApp, readSeedCatalogue } from "./app.js";
import { defaultCatalogueFile } from "./config.js";
import type { Clock } from "./domain/org.js";
import type { ZohoSandboxState } from "./domain/sandbox-state.js";
import type { OAuthCredentials } from "./domain/tokens.js";
import { SandboxStateFile } from "./state-file.js";

export { API_PREFIX, CONTROL_PREFIX, TOKEN_PATH } from "./api.js";
export { SandboxOperations, type FaultSpec, type SandboxOperation } from "./domain/faults.js";
export type { SandboxSnapshot, ZohoSandboxState } from "./domain/sandbox-state.js";
export type { OAuthCredentials } from "./domain/tokens.js";
export { ZohoCode } from "./domain/zoho-error.js";
export { MAX_BULK_IDS } from "./domain/org.js";

export interface ZohoSandboxOptions {
  /** Default 0: a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Default "silent": tests stay quiet. */
  readonly logLevel?: string;
  readonly organizationId?: string;
  readonly credentials?: Partial<OAuthCredentials>;
  readonly tokenTtlSeconds?: number;
  /** Default 0 (off) in process, so tests are not throttled; Zoho's own limit is 100. */
  readonly rateLimitPerMinute?: number;
  /** The rate limit's window, default a minute as Zoho's; shorter lets a test cross several windows quickly. */
  readonly rateLimitWindowMs?: number;
  /** Calls in flight at once; default 0 (off) in process; Zoho's own limit is 10. */
  readonly maxConcurrent?: number;
  /** Keep the organisation in this JSON file across restarts (see ZOHO_SANDBOX_STATE_FILE). */
  readonly stateFile?: string;
  /** For faults with a probability; default Math.random. */
  readonly random?: () => number;
  readonly catalogueFile?: string;
  /** The sandbox's clock (ms since the epoch), for token-expiry tests. */
  readonly now?: Clock;
}

export interface RunningZohoSandbox {
  /** The origin, e.g. http://127.0.0.1:41234: the accounts URL (token endpoint at /oauth/v2/token) and the control API's base. */
  readonly url: string;
  /** Base of the Inventory API, `${url}/inventory/v1`. */
  readonly apiUrl: string;
  readonly organizationId: string;
  readonly credentials: OAuthCredentials;
  /** The live state, for assertions without HTTP. */
  readonly state: ZohoSandboxState;
  close(): Promise<void>;
}

/** Runs the Zoho sandbox in this process, listening on 127.0.0.1 and a free port unless told otherwise. */
export async function startZohoSandbox(options: ZohoSandboxOptions = {}): Promise<RunningZohoSandbox> {
  const organizationId = options.organizationId ?? SandboxDefaults.zohoOrganizationId;
  const credentials: OAuthCredentials = {
    clientId: options.credentials?.clientId ?? SandboxDefaults.zohoClientId,
    clientSecret: options.credentials?.clientSecret ?? SandboxDefaults.zohoClientSecret,
    refreshToken: options.credentials?.refreshToken ?? SandboxDefaults.zohoRefreshToken,
  };
  const catalogue = await readSeedCatalogue(options.catalogueFile ?? defaultCatalogueFile);
  let app: ReturnType<typeof createZohoSandboxApp> | undefined;
  let stateFile: SandboxStateFile | undefined;
  const service = await runService({
    name: "zoho-sandbox",
    port: options.port ?? 0,
    host: options.host ?? "127.0.0.1",
    logLevel: options.logLevel ?? "silent",
    shutdownTimeoutMs: 5_000,
    handleSignals: false,
    start: async (runtime) => {
      stateFile = options.stateFile ? new SandboxStateFile(options.stateFile, { logger: runtime.logger }) : undefined;
      app = createZohoSandboxApp(
        {
          organizationId,
          credentials,
          tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
          rateLimitPerMinute: options.rateLimitPerMinute ?? 0,
          rateLimitWindowMs: options.rateLimitWindowMs,
          maxConcurrent: options.maxConcurrent ?? 0,
          ...catalogue,
          now: options.now,
          random: options.random,
          restore: await stateFile?.load(),
        },
        runtime.logger,
        { stateFile },
      );
      runtime.onShutdown({ name: "state-file", run: () => app!.flush() });
      return app.handler;
    },
  });
  const started = app!;
  return {
    url: service.url,
    apiUrl: `${service.url}/inventory/v1`,
    organizationId,
    credentials,
    state: started.state,
    close: async () => {
      started.cancelDelays();
      await service.stop();
    },
  };
}
