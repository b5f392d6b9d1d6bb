import { loadCatalogue } from "@t2m/catalogue";
import { setTimeout as sleep } from "node:timers/promises";
import type { IncomingMessage, Logger, RequestListener, ServerResponse } from "@t2m/platform";
import { CONTROL_PREFIX, handleSandboxRequest, type RequestBody } from "./api.js";
import { seedFromProducts, type SeedCatalogue } from "./domain/catalogue.js";
import { ZohoSandboxState, type SandboxSettings } from "./domain/sandbox-state.js";
import { ZohoCode } from "./domain/zoho-error.js";
import type { SandboxStateFile } from "./state-file.js";

const MAX_BODY_BYTES = 1024 * 1024;

export interface ZohoSandboxApp {
  readonly handler: RequestListener;
  readonly state: ZohoSandboxState;
  /** Ends answers held back by delay faults, so a shutdown need not wait for them. */
  cancelDelays(): void;
  /** Writes the state file now, if there is one and a change is pending. */
  flush(): Promise<void>;
}

/** Reads the product catalogue the sandbox seeds its items from. */
/** Seeds the organisation from the catalogue file, read and checked by the catalogue service's own parser. */
export async function readSeedCatalogue(file: string): Promise<SeedCatalogue> {
  return seedFromProducts((await loadCatalogue(file)).products);
}

/**
 * The sandbox's HTTP handler around its state. With a state file, the
 * organisation is saved after every change (debounced); pass what the file
 * held as `settings.restore`.
 */
export function createZohoSandboxApp(settings: SandboxSettings, logger: Logger, options: { stateFile?: SandboxStateFile } = {}): ZohoSandboxApp {
  const { stateFile } = options;
  const state: ZohoSandboxState = new ZohoSandboxState({
    ...settings,
    onChange: () => {
      settings.onChange?.();
      stateFile?.schedule(() => state.org.snapshot());
    },
  });
  const delays = new AbortController();

  const handler: RequestListener = (req, res) => {
    void answer(req, res).catch((err: unknown) => {
      logger.error({ err, method: req.method, path: pathOf(req) }, "sandbox request failed");
      if (!res.headersSent) send(res, 500, { code: ZohoCode.internalError, message: "Internal error" });
      else res.destroy();
    });
  };

  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://sandbox.invalid");
    const read = await readBody(req);
    if (read === "too-large") return send(res, 413, { code: ZohoCode.invalidValue, message: "Request body too large" });
    const reply = handleSandboxRequest(state, {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
      origin: `http://${req.headers.host ?? "127.0.0.1"}`,
      body: read.body,
      rawBody: read.text,
    });
    try {
      await deliver(req, res, url, reply);
    } finally {
      reply.release?.();
    }
  };

  const deliver = async (req: IncomingMessage, res: ServerResponse, url: URL, reply: ReturnType<typeof handleSandboxRequest>) => {
    // Control calls change what every later call sees, so they are worth a line at info; Zoho calls only at debug.
    const isControl = url.pathname.startsWith(CONTROL_PREFIX) && req.method !== "GET";
    logger[isControl ? "info" : "debug"](
      { method: req.method, path: url.pathname, operation: reply.operation, status: reply.status, delayMs: reply.delayMs || undefined },
      "sandbox request",
    );
    if (reply.delayMs > 0) {
      try {
        await sleep(reply.delayMs, undefined, { signal: delays.signal });
      } catch {
        // Shutting down: drop the held answer, as a dying Zoho would.
        return void res.destroy();
      }
    }
    send(res, reply.status, reply.body, reply.headers);
  };

  return { handler, state, cancelDelays: () => delays.abort(), flush: async () => stateFile?.flush() };
}

async function readBody(req: IncomingMessage): Promise<{ body: RequestBody; text: string } | "too-large"> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return "too-large";
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  return { body: parseBody(req, text), text };
}

function parseBody(req: IncomingMessage, text: string): RequestBody {
  if (text.trim() === "") return { kind: "none" };
  const contentType = (req.headers["content-type"] ?? "").split(";", 1)[0]!.trim().toLowerCase();
  if (contentType === "application/x-www-form-urlencoded") return { kind: "form", fields: new URLSearchParams(text) };
  try {
    return { kind: "json", value: JSON.parse(text) as unknown };
  } catch (err) {
    return { kind: "malformed", reason: (err as Error).message };
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-type": "application/json;charset=UTF-8", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? "/").split("?", 1)[0]!;
}
