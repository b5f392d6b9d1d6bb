import { createServer, type Server } from "node:net";
import { readdir, readFile, readlink } from "node:fs/promises";

const listenOn = (server: Server, port: number, host: string) =>
  new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host, exclusive: true }, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/**
 * `count` distinct free TCP ports, found by binding them all at once and
 * releasing them. Another process could take one before it is used; the
 * window is short, and a clash shows as a clear "address in use" at start.
 */
export async function findFreePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(servers.map((s) => listenOn(s, 0, host)));
  } finally {
    await Promise.all(servers.map((s) => (s.listening ? close(s) : Promise.resolve())));
  }
}

/** True when nothing listens on host:port (we could bind it). */
export async function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  const server = createServer();
  try {
    await listenOn(server, port, host);
    return true;
  } catch {
    return false;
  } finally {
    if (server.listening) await close(server);
  }
}

export interface PortOwner {
  readonly pid: number;
  /** Its command line, shortened. */
  readonly command: string;
  /** Its parent (1, or a subreaper's pid, once the process that started it is gone). */
  readonly parentPid: number | undefined;
  readonly parentCommand: string;
}

/** A command line fit for a message: a platform process as `node services/<name>/dist/main.js`, anything else cut at 100 characters. */
export function shortCommand(argv: readonly string[]): string {
  const entry = argv.find((a) => /(^|\/)services\/[^/]+\/dist\/main\.js$/.test(a));
  if (entry && /(^|\/)node$/.test(argv[0] ?? "")) return `node ${entry}`;
  const command = argv.join(" ");
  return command.length > 100 ? `${command.slice(0, 97)}...` : command;
}

async function commandOf(pid: number | string): Promise<string> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return shortCommand(cmdline.split("\0").filter(Boolean));
}

async function parentOf(pid: number | string): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // pid (comm) state ppid …; comm may contain spaces and parentheses.
  const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

/** Inodes of the sockets listening on `port` in /proc/net/tcp{,6}-formatted text (state 0A = LISTEN). */
export function listeningInodes(procNetTcp: string, port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes: string[] = [];
  for (const line of procNetTcp.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    if (fields.length < 10 || fields[3] !== "0A") continue;
    if (fields[1]?.split(":")[1] === hexPort && fields[9] && fields[9] !== "0") inodes.push(fields[9]);
  }
  return inodes;
}

/**
 * The processes listening on a TCP port, read from /proc (Linux; an empty
 * list elsewhere, or for processes of other users that cannot be inspected).
 */
export async function findPortOwners(port: number): Promise<PortOwner[]> {
  const tables = await Promise.all(["/proc/net/tcp", "/proc/net/tcp6"].map((f) => readFile(f, "utf8").catch(() => "")));
  const inodes = new Set(tables.flatMap((t) => listeningInodes(t, port)));
  if (inodes.size === 0) return [];
  const owners: PortOwner[] = [];
  const pids = (await readdir("/proc").catch(() => [] as string[])).filter((d) => /^\d+$/.test(d));
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) {
        const parentPid = await parentOf(pid);
        owners.push({
          pid: Number(pid),
          command: await commandOf(pid),
          parentPid,
          parentCommand: parentPid === undefined ? "" : await commandOf(parentPid),
        });
        break;
      }
    }
  }
  return owners;
}
