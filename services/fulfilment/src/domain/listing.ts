import type { OrderRecord, OrderStatus } from "./order.js";

/** How far back a listing may start: each day in the window costs one query (see OrderStore.changedOn). */
export const LISTING_MAX_WINDOW_MS = 7 * 24 * 3_600_000;
export const LISTING_DEFAULT_WINDOW_MS = 24 * 3_600_000;
export const LISTING_DEFAULT_LIMIT = 100;
export const LISTING_MAX_LIMIT = 500;

export interface ListingQuery {
  readonly partnerId: string;
  readonly status?: OrderStatus;
  readonly since?: Date;
  readonly cursor?: string;
  readonly limit?: number;
}

/** Where a page ended: the last order's change time and id (orders are listed by both). */
interface Cursor {
  readonly v: 1;
  readonly p: string;
  readonly s: number;
  readonly st: string;
  readonly t: number;
  readonly id: string;
}

export class ListingRejected extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "ListingRejected";
  }
}

const encode = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor)).toString("base64url");

function decode(text: string, partnerId: string): Cursor {
  try {
    if (text.length > 1_000) throw new Error("too long");
    const raw = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as Partial<Cursor>;
    if (raw.v !== 1 || raw.p !== partnerId || typeof raw.s !== "number" || typeof raw.st !== "string" || typeof raw.t !== "number" || typeof raw.id !== "string") {
      throw new Error("not ours");
    }
    return raw as Cursor;
  } catch {
    throw new ListingRejected("cursor", "is not a cursor this API returned for these parameters");
  }
}

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The UTC days from `fromMs` to `toMs`, both included, as "YYYY-MM-DD". */
export function daysBetween(fromMs: number, toMs: number): string[] {
  const days: string[] = [];
  const start = Date.parse(`${dayOf(fromMs)}T00:00:00.000Z`);
  for (let t = start; t <= toMs; t += 86_400_000) days.push(dayOf(t));
  return days;
}

/**
 * One page of a partner's orders, by time of last change then id, from
 * `since`. A day at a time, by equality on (partner, day, status): the only
 * kind of filter FerretDB pushes down. An order that changes while a
 * client pages moves to a later position and is listed again there, so a
 * client that pages to the end has seen every order's latest state.
 */
export async function listOrders(
  query: ListingQuery,
  changedOn: (partnerId: string, day: string, status: OrderStatus | undefined) => Promise<OrderRecord[]>,
  now: Date,
): Promise<{ orders: OrderRecord[]; nextCursor: string }> {
  const limit = query.limit && query.limit > 0 ? query.limit : LISTING_DEFAULT_LIMIT;
  if (limit > LISTING_MAX_LIMIT) throw new ListingRejected("limit", `must be at most ${LISTING_MAX_LIMIT}`);
  const cursor = query.cursor ? decode(query.cursor, query.partnerId) : undefined;
  const status = (cursor ? cursor.st || undefined : query.status) as OrderStatus | undefined;
  if (cursor && query.status && query.status !== status) throw new ListingRejected("status", "must be the one the cursor was made for");
  const sinceMs = cursor ? cursor.s : (query.since?.getTime() ?? now.getTime() - LISTING_DEFAULT_WINDOW_MS);
  if (cursor && query.since && query.since.getTime() !== sinceMs) throw new ListingRejected("since", "must be the one the cursor was made for");
  // A cursor may outlive the window by a day of paging.
  if (sinceMs < now.getTime() - LISTING_MAX_WINDOW_MS - (cursor ? 86_400_000 : 0)) throw new ListingRejected("since", "must be at most 7 days ago");
  if (sinceMs > now.getTime() + 60_000) throw new ListingRejected("since", "must not be in the future");

  const after = (o: OrderRecord) => !cursor || o.updatedAt.getTime() > cursor.t || (o.updatedAt.getTime() === cursor.t && o.orderId > cursor.id);
  const found: OrderRecord[] = [];
  for (const day of daysBetween(Math.max(sinceMs, cursor?.t ?? 0), now.getTime())) {
    for (const order of await changedOn(query.partnerId, day, status)) {
      if (order.partnerId !== query.partnerId || order.updatedAt.getTime() < sinceMs || !after(order)) continue;
      found.push(order);
    }
    if (found.length > limit) break;
  }
  const page = found.slice(0, limit);
  const last = page.at(-1);
  const more = found.length > limit;
  return {
    orders: page,
    nextCursor: more && last ? encode({ v: 1, p: query.partnerId, s: sinceMs, st: status ?? "", t: last.updatedAt.getTime(), id: last.orderId }) : "",
  };
}
