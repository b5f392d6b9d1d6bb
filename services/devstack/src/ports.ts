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
        const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
        const command = cmdline.split("\0").filter(Boolean).join(" ");
        owners.push({ pid: Number(pid), command: command.length > 120 ? `${command.slice(0, 117)}...` : command });
        break;
      }
    }
  }
  return owners;
}
