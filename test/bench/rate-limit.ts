// npm run bench:rate-limit: what the gateway's shared rate limiter costs a
// request, against a NATS round trip (a flush) on the same server.
//  - alone: one replica, sequential takes (each one compare-and-set on the
//    window it wrote last: one round trip);
//  - together: BENCH_LIMIT_CONCURRENCY (32) takes at once from one replica
//    (group commit: one compare-and-set per batch);
//  - two replicas: two limiters on two connections alternating (each write
//    after the other's fails once, then reads and writes again);
//  - refused: takes once the window is full (decided from the last state
//    written, no round trip).
import { startNatsServer } from "@t2m/devstack";
import { EventBus, createLogger, createMetrics } from "@t2m/platform";
import { KvWindowStore, RateLimiter } from "@t2m/gateway";
import { summarise, type Summary } from "./load.js";

const N = Number(process.env.BENCH_LIMIT_TAKES ?? 2_000);
const CONCURRENCY = Number(process.env.BENCH_LIMIT_CONCURRENCY ?? 32);
const logger = createLogger("bench", "silent");

const ms = (s: Summary) => `p50 ${s.p50.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms`;

async function timed(n: number, one: (i: number) => Promise<unknown>): Promise<Summary> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await one(i);
    times.push(performance.now() - t);
  }
  return summarise(times);
}

export async function benchRateLimit() {
  const nats = await startNatsServer();
  const connect = (name: string) => EventBus.connect({ url: nats.url, name, logger, metrics: createMetrics(name), ackWaitMs: 30_000 });
  const [a, b] = await Promise.all([connect("bench-a"), connect("bench-b")]);
  try {
    const limiter = async (bus: EventBus) => new RateLimiter(new KvWindowStore(await bus.kv("gateway_rate_limits", { maxAgeMs: 120_000 })), logger, createMetrics("x").registry);
    const [one, two] = [await limiter(a), await limiter(b)];
    const flush = await timed(N, () => a.connection.flush());
    await one.take("warm", "orders", 1e9);
    const alone = await timed(N, () => one.take("alone", "orders", 1e9));
    const started = performance.now();
    let done = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (done < N * 5) {
          done++;
          await one.take("together", "orders", 1e9);
        }
      }),
    );
    const togetherPerSecond = (done / (performance.now() - started)) * 1000;
    const alternating = await timed(N, (i) => (i % 2 === 0 ? one : two).take("two", "orders", 1e9));
    for (let i = 0; i < 10; i++) await one.take("full", "orders", 10);
    const refused = await timed(N, () => one.take("full", "orders", 10));
    return { flush, alone, togetherPerSecond, alternating, refused };
  } finally {
    await a.close();
    await b.close();
    await nats.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchRateLimit();
  console.log(`NATS round trip (flush):               ${ms(r.flush)}`);
  console.log(`rate limit, one replica, one at a time: ${ms(r.alone)}`);
  console.log(`rate limit, one replica, ${CONCURRENCY} at once:   ${Math.round(r.togetherPerSecond)} takes/s`);
  console.log(`rate limit, two replicas alternating:  ${ms(r.alternating)}`);
  console.log(`rate limit, refused (window full):     ${ms(r.refused)}`);
}
