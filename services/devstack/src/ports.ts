import { createServer, type Server } from "node:net";

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
