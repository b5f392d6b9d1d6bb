import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { CallContext } from "./call-budget.js";
import { ConfirmBatcher, type ConfirmCalls } from "./confirm-batcher.js";

const logger = pino({ level: "silent" });
const ctx = (priority: number, deadline = 100_000): CallContext => ({ priority, deadline });

class Refused extends Error {}

/** Fake Zoho calls that hold each call until the test releases it. */
function fakeCalls(options: { bulk?: (ids: readonly string[]) => { confirmed: string[]; unconfirmed: string[] } | Error } = {}) {
  const log: string[] = [];
  const contexts: CallContext[] = [];
  const held: (() => void)[] = [];
  const hold = () => new Promise<void>((resolve) => held.push(resolve));
  const calls: ConfirmCalls = {
    confirmOne: async (id, c) => {
      log.push(`one:${id}`);
      contexts.push(c);
      await hold();
    },
    confirmMany: async (ids, c) => {
      log.push(`many:${ids.join(",")}`);
      contexts.push(c);
      await hold();
      const result = options.bulk?.(ids) ?? { confirmed: [...ids], unconfirmed: [] };
      if (result instanceof Error) throw result;
      return result;
    },
    isRefusal: (err) => err instanceof Refused,
  };
  /** Lets every held call answer, repeatedly, until nothing is held. */
  const releaseAll = async () => {
    for (let rounds = 0; rounds < 20; rounds++) {
      await new Promise((resolve) => setImmediate(resolve));
      const pending = held.splice(0);
      if (pending.length === 0) continue;
      for (const release of pending) release();
    }
  };
  return { calls, log, contexts, releaseAll, held };
}

describe("ConfirmBatcher", () => {
  it("sends the first confirmation alone, then everything asked meanwhile in one bulk call", async () => {
    const fake = fakeCalls();
    const sizes: number[] = [];
    const batcher = new ConfirmBatcher({ calls: fake.calls, logger, onBatch: (n) => sizes.push(n) });
    const first = batcher.confirm("SO-1", ctx(1));
    await new Promise((resolve) => setImmediate(resolve));
    const later = ["SO-2", "SO-3", "SO-4"].map((id, i) => batcher.confirm(id, ctx(10 - i)));
    await fake.releaseAll();
    await Promise.all([first, ...later]);
    // The bulk call carries the oldest order's priority and the nearest deadline; ids go oldest first.
    expect(fake.log).toEqual(["one:SO-1", "many:SO-4,SO-3,SO-2"]);
    expect(fake.contexts[1]).toEqual({ priority: 8, deadline: 100_000 });
    expect(sizes).toEqual([1, 3]);
  });

  it("caps a bulk call at maxBatch ids and sends the rest in the next", async () => {
    const fake = fakeCalls();
    const batcher = new ConfirmBatcher({ calls: fake.calls, logger, maxBatch: 2 });
    const first = batcher.confirm("SO-0", ctx(0));
    await new Promise((resolve) => setImmediate(resolve));
    const later = ["SO-1", "SO-2", "SO-3"].map((id, i) => batcher.confirm(id, ctx(i + 1)));
    await fake.releaseAll();
    await Promise.all([first, ...later]);
    expect(fake.log).toEqual(["one:SO-0", "many:SO-1,SO-2", "one:SO-3"]);
  });

  it("joins a confirmation already waiting or in flight instead of asking twice", async () => {
    const fake = fakeCalls();
    const batcher = new ConfirmBatcher({ calls: fake.calls, logger });
    const a = batcher.confirm("SO-1", ctx(1));
    const b = batcher.confirm("SO-1", ctx(2));
    await fake.releaseAll();
    await Promise.all([a, b]);
    expect(fake.log).toEqual(["one:SO-1"]);
  });

  it("confirms one by one the ids a bulk call did not confirm, and all of them when Zoho refuses the bulk call", async () => {
    let refuse = false;
    const fake = fakeCalls({ bulk: (ids) => (refuse ? new Refused("no bulk") : { confirmed: ids.slice(1), unconfirmed: ids.slice(0, 1) }) });
    const batcher = new ConfirmBatcher({ calls: fake.calls, logger });
    const first = batcher.confirm("SO-0", ctx(0));
    await new Promise((resolve) => setImmediate(resolve));
    const partial = ["SO-1", "SO-2"].map((id, i) => batcher.confirm(id, ctx(i + 1)));
    await fake.releaseAll();
    await Promise.all([first, ...partial]);
    expect(fake.log).toEqual(["one:SO-0", "many:SO-1,SO-2", "one:SO-1"]);

    refuse = true;
    fake.log.length = 0;
    const again = batcher.confirm("SO-5", ctx(5));
    await new Promise((resolve) => setImmediate(resolve));
    const refused = ["SO-6", "SO-7"].map((id, i) => batcher.confirm(id, ctx(i + 6)));
    await fake.releaseAll();
    await Promise.all([again, ...refused]);
    expect(fake.log).toEqual(["one:SO-5", "many:SO-6,SO-7", "one:SO-6", "one:SO-7"]);
  });

  it("fails every confirmation of a bulk call that failed for another reason (a spent budget, Zoho down)", async () => {
    const fake = fakeCalls({ bulk: () => new Error("Zoho is down") });
    const batcher = new ConfirmBatcher({ calls: fake.calls, logger });
    const first = batcher.confirm("SO-0", ctx(0));
    await new Promise((resolve) => setImmediate(resolve));
    const failing = ["SO-1", "SO-2"].map((id, i) => batcher.confirm(id, ctx(i + 1)).then(() => "ok", (err: Error) => err.message));
    await fake.releaseAll();
    await first;
    expect(await Promise.all(failing)).toEqual(["Zoho is down", "Zoho is down"]);
    expect(fake.log).toEqual(["one:SO-0", "many:SO-1,SO-2"]);
  });
});
