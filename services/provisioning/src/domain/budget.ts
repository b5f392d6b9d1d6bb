/**
 * Zoho's call budget for one organisation, as pure arithmetic on a small
 * shared state: a sliding-window log of the last calls granted (and slots
 * reserved ahead), the leases of calls in flight, and a pause Zoho asked
 * for. Every provisioning replica reads and writes the same state (NATS KV,
 * compare-and-set), so together they never exceed the limits.
 *
 * Zoho Inventory allows 100 calls per minute per organisation and 10 at
 * once (paid plans) [T]; the sandbox enforces a sliding 60 s window, as a
 * strict Zoho would. The budget keeps any `limit + 1` consecutive grants at
 * least `windowMs + marginMs` apart: so long as each call reaches Zoho within
 * `marginMs` of its slot (clock skew between replicas included), no window
 * of `windowMs` sees more than `limit` calls.
 */

export interface BudgetLimits {
  /** Calls per window; 0 turns the rate limit off. */
  readonly callsPerWindow: number;
  /** Zoho's window: 60 000 ms. */
  readonly windowMs: number;
  /** Added to the window: how late after its slot a call may reach Zoho and still be safe. */
  readonly marginMs: number;
  /** Calls in flight at once (across replicas); 0 turns the limit off. */
  readonly maxConcurrent: number;
  /** How long a lease lasts from its slot unless released: a crashed holder's lease frees itself. */
  readonly leaseMs: number;
}

export interface Lease {
  readonly id: string;
  readonly expiresAt: number;
}

export interface BudgetState {
  /** Slot times of calls granted or reserved, ascending (ms since the epoch). */
  readonly grants: readonly number[];
  readonly leases: readonly Lease[];
  /** No call starts before this (Zoho said it was over its limit); 0 when not paused. */
  readonly pausedUntil: number;
}

export const emptyBudget: BudgetState = { grants: [], leases: [], pausedUntil: 0 };

export const rateLimited = (limits: BudgetLimits) => limits.callsPerWindow > 0;
export const concurrencyLimited = (limits: BudgetLimits) => limits.maxConcurrent > 0;

const span = (limits: BudgetLimits) => limits.windowMs + limits.marginMs;

/**
 * Drops what can no longer matter: grants a window and the margin older
 * than `now` (no slot from now on can be constrained by them) and leases
 * past their expiry. Every younger grant stays, even beyond the last
 * `limit`: when a reservation ahead is cancelled, the one before it counts
 * again.
 */
export function prune(state: BudgetState, now: number, limits: BudgetLimits): BudgetState {
  const recent = rateLimited(limits) ? state.grants.filter((at) => at > now - span(limits)) : [];
  const leases = concurrencyLimited(limits) ? state.leases.filter((l) => l.expiresAt > now) : [];
  const pausedUntil = state.pausedUntil > now ? state.pausedUntil : 0;
  return { grants: recent, leases, pausedUntil };
}

/**
 * The earliest time a new call may start: not before now or the end of a
 * pause, not before the last grant (first come, first served, so a slot
 * reserved ahead is never overtaken), and with fewer than `limit` grants in
 * the window that ends at it.
 */
export function nextSlot(state: BudgetState, now: number, limits: BudgetLimits): number {
  let at = Math.max(now, state.pausedUntil);
  if (!rateLimited(limits)) return at;
  const { grants } = state;
  const last = grants[grants.length - 1];
  if (last !== undefined) at = Math.max(at, last);
  const limiting = grants[grants.length - limits.callsPerWindow];
  if (grants.length >= limits.callsPerWindow && limiting !== undefined) at = Math.max(at, limiting + span(limits));
  return at;
}

/** Leases still live at `at`. */
export function liveLeases(state: BudgetState, at: number): number {
  return state.leases.filter((l) => l.expiresAt > at).length;
}

export type Reservation =
  | { readonly kind: "reserved"; readonly state: BudgetState; readonly at: number }
  /** Every lease is taken; one frees itself at `retryAt` at the latest (or sooner, when released). */
  | { readonly kind: "busy"; readonly retryAt: number };

/**
 * Reserves the next slot and, with a concurrency limit, a lease from it for
 * one call. The lease covers the wait for the slot too, so calls in flight
 * plus slots reserved ahead never exceed the limit. `now` must come after
 * prune() with the same `now`.
 */
export function reserve(state: BudgetState, now: number, limits: BudgetLimits, leaseId: string): Reservation {
  if (concurrencyLimited(limits)) {
    const live = state.leases.filter((l) => l.expiresAt > now);
    if (live.length >= limits.maxConcurrent) {
      return { kind: "busy", retryAt: Math.min(...live.map((l) => l.expiresAt)) };
    }
  }
  const at = nextSlot(state, now, limits);
  return {
    kind: "reserved",
    at,
    state: {
      grants: rateLimited(limits) ? [...state.grants, at] : state.grants,
      leases: concurrencyLimited(limits) ? [...state.leases, { id: leaseId, expiresAt: at + limits.leaseMs }] : state.leases,
      pausedUntil: state.pausedUntil,
    },
  };
}

/** Frees a lease (the call is over). The grant stays: the call counts in its window. */
export function release(state: BudgetState, leaseId: string): BudgetState {
  return { ...state, leases: state.leases.filter((l) => l.id !== leaseId) };
}

/**
 * Gives a reservation back before its call was made: its lease and its
 * grant (one grant at `at`) go, so nobody waits on a call that never happens.
 */
export function cancel(state: BudgetState, leaseId: string, at: number): BudgetState {
  const index = state.grants.lastIndexOf(at);
  const grants = index === -1 ? state.grants : [...state.grants.slice(0, index), ...state.grants.slice(index + 1)];
  return { ...release(state, leaseId), grants };
}

/**
 * Moves a reservation that may not start at its slot (a pause began after
 * it was made) to the next slot, keeping its lease: cancel, then reserve
 * again in the same write, so the lease count never blocks it.
 */
export function rebook(state: BudgetState, now: number, limits: BudgetLimits, leaseId: string, at: number): { state: BudgetState; at: number } {
  const freed = cancel(state, leaseId, at);
  const again = reserve(freed, now, limits, leaseId);
  // Cannot be busy: the lease just freed is taken again.
  if (again.kind !== "reserved") throw new Error("rebook found every lease taken after freeing its own");
  return { state: again.state, at: again.at };
}

/** No call starts before `until` (later pauses win over earlier ones). */
export function pause(state: BudgetState, until: number): BudgetState {
  return { ...state, pausedUntil: Math.max(state.pausedUntil, until) };
}

/**
 * Where waiters would start if nobody else asked meanwhile: the slots of
 * the next `count` reservations (concurrency aside), e.g. to tell at once a
 * caller far back in line that its wait would be too long.
 */
export function projectSlots(state: BudgetState, now: number, limits: BudgetLimits, count: number): number[] {
  const slots: number[] = [];
  let grants = [...state.grants];
  for (let i = 0; i < count; i++) {
    const at = nextSlot({ ...state, grants }, now, limits);
    slots.push(at);
    if (rateLimited(limits)) grants = [...grants, at].slice(-limits.callsPerWindow);
  }
  return slots;
}

/**
 * The invariant the budget keeps, for tests and checks: the grants are
 * ascending and any `limit + 1` consecutive ones span at least the window
 * plus the margin.
 */
export function respectsRateLimit(grants: readonly number[], limits: BudgetLimits): boolean {
  for (let i = 1; i < grants.length; i++) if (grants[i]! < grants[i - 1]!) return false;
  if (!rateLimited(limits)) return true;
  for (let i = limits.callsPerWindow; i < grants.length; i++) {
    if (grants[i]! - grants[i - limits.callsPerWindow]! < span(limits)) return false;
  }
  return true;
}

/** The most calls any window of `windowMs` (half-open, as a sliding-window limiter counts) holds among these times. */
export function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    busiest = Math.max(busiest, end - start + 1);
  }
  return busiest;
}
