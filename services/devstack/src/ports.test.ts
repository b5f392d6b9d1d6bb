import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { findPortOwners, listeningInodes, shortCommand } from "./ports.js";
import { assertPortsFree } from "./stack.js";

describe("port owners", () => {
  it("reads listening sockets from /proc/net/tcp", () => {
    const table = [
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 0100007F:1006 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 70593 1 0000000000000000 100 0 0 10 0",
      "   1: 0100007F:1006 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 70600 1 0000000000000000 20 4 30 10 -1",
      "   2: 0100007F:1007 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 70601 1 0000000000000000 100 0 0 10 0",
    ].join("\n");
    expect(listeningInodes(table, 4102)).toEqual(["70593"]);
    expect(listeningInodes(table, 4000)).toEqual([]);
  });

  it("shows a platform process by its entry point", () => {
    expect(shortCommand(["/repo/node_modules/node/bin/node", "--import", "@t2m/platform/telemetry-register", "services/fulfilment/dist/main.js"])).toBe(
      "node services/fulfilment/dist/main.js",
    );
    expect(shortCommand(["nats-server", "-p", "4222"])).toBe("nats-server -p 4222");
  });

  it("names the process that holds a port", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await findPortOwners(port)).toEqual([expect.objectContaining({ pid: process.pid, parentPid: process.ppid })]);
      await expect(assertPortsFree([{ name: "gateway", port }])).rejects.toThrow(
        new RegExp(`^port ${port} \\(gateway: pid ${process.pid}, .*\\) already in use on 127\\.0\\.0\\.1 — is another \`npm start\`.* \\(kill ${process.pid}\\)`),
      );
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await expect(assertPortsFree([{ name: "gateway", port }])).resolves.toBeUndefined();
  });
});
