// Load generators for npm run bench: closed loop (N connections, each sends
// its next request when the last one answers) and open loop (a fixed rate,
// whatever the answers do).
import { Pool } from "undici";

export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarise(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
}

export interface Request {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface ClosedLoopResult {
  readonly seconds: number;
  readonly completed: number;
  readonly perSecond: number;
  readonly statuses: Record<string, number>;
  readonly latencyMs: Summary;
}

/** `connections` clients POST as fast as answers come, for `durationMs`. */
export async function closedLoop(baseUrl: string, options: { connections: number; durationMs: number; request: (i: number) => Request }): Promise<ClosedLoopResult> {
  const pool = new Pool(baseUrl, { connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < deadline) {
        const r = options.request(next++);
        const t = performance.now();
        try {
          const res = await pool.request({ method: "POST", path: r.path, headers: r.headers, body: r.body });
          await res.body.dump();
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        } catch (err) {
          statuses[(err as Error).name] = (statuses[(err as Error).name] ?? 0) + 1;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return { seconds, completed: latencies.length, perSecond: latencies.length / seconds, statuses, latencyMs: summarise(latencies) };
}

/** Calls `send(i)` `ratePerSecond` times a second for `durationMs`, not waiting for answers; resolves when all answered. */
export async function openLoop(options: { ratePerSecond: number; durationMs: number; send: (i: number) => Promise<void> }): Promise<{ sent: number; seconds: number }> {
  const total = Math.round((options.ratePerSecond * options.durationMs) / 1000);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / options.ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(options.send(i));
  }
  await Promise.all(pending);
  return { sent: total, seconds: (performance.now() - started) / 1000 };
}

/** Samples each pid's resident memory every `intervalMs`; stop() returns the peak per name in MiB. */
export function sampleRss(pids: () => Record<string, number | undefined>, intervalMs = 500) {
  const peaks: Record<string, number> = {};
  const read = async () => {
    const { readFile } = await import("node:fs/promises");
    for (const [name, pid] of Object.entries(pids())) {
      if (pid === undefined) continue;
      try {
        const match = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, "utf8"));
        if (match) peaks[name] = Math.max(peaks[name] ?? 0, Math.round(Number(match[1]) / 1024));
      } catch {
        // The process may be restarting.
      }
    }
  };
  const timer = setInterval(() => void read(), intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await read();
      return { ...peaks };
    },
  };
}

/** CPU seconds (user + system) used so far by each pid, from /proc/<pid>/stat. */
export async function cpuSeconds(pids: Record<string, number | readonly number[] | undefined>): Promise<Record<string, number>> {
  const { readFile } = await import("node:fs/promises");
  const ticks = 100; // USER_HZ on Linux
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const list = pid === undefined ? [] : Array.isArray(pid) ? pid : [pid as number];
    let total = 0;
    for (const p of list) {
      try {
        const fields = (await readFile(`/proc/${p}/stat`, "utf8")).split(") ")[1]!.split(" ");
        total += (Number(fields[11]) + Number(fields[12])) / ticks;
      } catch {
        // gone
      }
    }
    out[name] = total;
  }
  return out;
}

/** Pids of every process whose command line contains `needle` (e.g. the PostgreSQL backends serving FerretDB). */
export async function pidsMatching(needle: string): Promise<number[]> {
  const { readdir, readFile } = await import("node:fs/promises");
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if ((await readFile(`/proc/${entry}/cmdline`, "utf8")).includes(needle)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}
