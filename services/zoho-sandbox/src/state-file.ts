import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "@t2m/platform";
import type { OrgSnapshot } from "./domain/org.js";

const FORMAT_VERSION = 1;

/** Reads a saved state file's JSON; says plainly what is wrong with one it cannot use. */
export function parseStateFile(text: string, file: string): OrgSnapshot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON (${(err as Error).message}); move it away to start with a fresh organisation`);
  }
  const doc = json as { version?: unknown; org?: Partial<OrgSnapshot> };
  const org = doc?.org;
  const valid =
    doc?.version === FORMAT_VERSION &&
    typeof org === "object" &&
    org !== null &&
    Number.isSafeInteger(org.lastId) &&
    Number.isSafeInteger(org.lastAutoNumber) &&
    typeof org.itemIds === "object" &&
    org.itemIds !== null &&
    Array.isArray(org.contacts) &&
    Array.isArray(org.salesOrders);
  if (!valid) throw new Error(`${file} is not a Zoho sandbox state file of version ${FORMAT_VERSION}; move it away to start with a fresh organisation`);
  return org as OrgSnapshot;
}

export function formatStateFile(org: OrgSnapshot): string {
  return `${JSON.stringify({ version: FORMAT_VERSION, savedAt: new Date().toISOString(), org })}\n`;
}

/**
 * The sandbox organisation kept in a JSON file (ZOHO_SANDBOX_STATE_FILE), so
 * a restarted sandbox keeps its contacts and sales orders and never hands
 * out an id twice. Saves are debounced and atomic (a temporary file renamed
 * over the old one), and flush() writes what is pending, e.g. on shutdown.
 */
export class SandboxStateFile {
  readonly path: string;
  readonly #debounceMs: number;
  readonly #logger: Logger;
  #snapshot: (() => OrgSnapshot) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(path: string, options: { logger: Logger; debounceMs?: number }) {
    this.path = path;
    this.#logger = options.logger;
    this.#debounceMs = options.debounceMs ?? 250;
  }

  /** The saved organisation, or undefined when there is no file yet. */
  async load(): Promise<OrgSnapshot | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    return parseStateFile(text, this.path);
  }

  /** Saves `snapshot()` soon; later calls before then fold into the same write. */
  schedule(snapshot: () => OrgSnapshot): void {
    this.#snapshot = snapshot;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#debounceMs);
  }

  /** Writes any pending change now and waits for it. */
  async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const snapshot = this.#snapshot;
    this.#snapshot = undefined;
    if (snapshot) this.#writing = this.#writing.then(() => this.#write(snapshot()));
    await this.#writing;
  }

  async #write(org: OrgSnapshot): Promise<void> {
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(temporary, formatStateFile(org));
      await rename(temporary, this.path);
    } catch (err) {
      this.#logger.error({ err, file: this.path }, "could not save the sandbox state");
    }
  }
}
