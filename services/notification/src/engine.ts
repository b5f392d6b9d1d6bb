import type { Logger } from "@t2m/platform";
import { applyRecorded, claimOf, entryOf, messageOf, recordNotSent, recordSent, type AttemptRecord, type SendResult, type UndeliveredEntry } from "./domain/attempt.js";
import { afterDead, afterDelivered, afterGone, enable, initialHealth, type DisableRules, type EndpointHealth, type HealthChange } from "./domain/endpoint-health.js";
import { newMessage, replay, startAttempt, type WebhookMessage } from "./domain/message.js";
import { blockedBy } from "./domain/ordering.js";
import type { RetrySchedule } from "./domain/retry-policy.js";
import { orderWebhookEvent, webhookId, type OrderOutcome, type WebhookEvent } from "./domain/webhook.js";
import type { DeliveryStore } from "./adapters/delivery-store.js";
import type { Endpoint, EndpointDirectory } from "./adapters/endpoints.js";
import type { OutgoingWebhook } from "./adapters/webhook-sender.js";
import type { NotificationMetrics } from "./metrics.js";

/** Event types that are always an order's first webhook (an order has one outcome, and it precedes reminders and renewals). */
const FIRST_OF_ORDER: ReadonlySet<string> = new Set(["ORDER_FULFILLED", "ORDER_FAILED"]);

export interface EngineOptions {
  readonly store: DeliveryStore;
  readonly sender: { send(endpoint: Endpoint, message: OutgoingWebhook, attemptNumber: number): Promise<SendResult> };
  readonly endpoints: EndpointDirectory;
  readonly schedule: RetrySchedule;
  readonly disableRules: DisableRules;
  /** How long a claimed attempt holds its message (longer than the attempt's timeout); then a sweep takes over. */
  readonly leaseMs: number;
  readonly metrics: NotificationMetrics;
  readonly logger: Logger;
  /** Told when a message of this process becomes due (a retry, or one an earlier event kept waiting). */
  readonly onDue: (webhookId: string, dueAt: Date) => void;
  readonly clock?: () => Date;
  readonly random?: () => number;
  /** How long a read of an endpoint's health is trusted before sending (default 2 s). */
  readonly healthCacheMs?: number;
}

/** What one try at a message came to. */
export type AttemptReport =
  | { readonly kind: "delivered" | "dead" | "not-sent"; readonly webhookId: string; readonly attempt: number }
  | { readonly kind: "retry"; readonly webhookId: string; readonly attempt: number; readonly dueAt: Date }
  /** Not due yet: nothing sent. */
  | { readonly kind: "not-due"; readonly webhookId: string; readonly dueAt: Date }
  /** Nothing sent: waiting behind an earlier event of its order, another worker holds it, dead, or delivered already. */
  | { readonly kind: "blocked" | "busy" | "dead-already" | "gone" | "repaired"; readonly webhookId: string };

export interface SweepReport {
  readonly undelivered: number;
  readonly due: number;
  readonly delivered: number;
  readonly retrying: number;
  readonly dead: number;
  readonly blocked: number;
  readonly busy: number;
  readonly repaired: number;
  readonly errors: number;
}

export interface DeliveryStats {
  readonly dead: number;
  readonly undelivered: number;
  readonly oldestUndeliveredAt: Date | undefined;
  readonly byStatus: Readonly<Record<string, number>>;
}

/**
 * The delivery engine: registers messages, and makes each attempt as
 * claim → send → record. Every path (the live consumer, a due timer, the
 * webhook-retry sweep, a replay) goes through attempt(), so they can run
 * at once, in any number of processes: an attempt is claimed by a unique
 * insert, and only its claimant moves the message.
 */
export class DeliveryEngine {
  private readonly clock: () => Date;
  private readonly random: () => number;
  private readonly healthCache = new Map<string, { health: EndpointHealth; readAt: number }>();

  constructor(private readonly options: EngineOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? Math.random;
  }

  // ---- registering

  /** Stores the message for an order outcome (idempotent on its webhook id); returns the stored one. */
  async register(outcome: OrderOutcome): Promise<{ message: WebhookMessage; created: boolean }> {
    return this.registerEvent(orderWebhookEvent(outcome));
  }

  /** Stores the message for any event (an order outcome, a subscription event), idempotent on its webhook id. */
  async registerEvent(event: WebhookEvent): Promise<{ message: WebhookMessage; created: boolean }> {
    const message = this.messageFor(event, this.clock());
    const result = await this.options.store.register(message);
    if (result.created) this.options.metrics.registered.inc({ event_type: message.eventType });
    return result;
  }

  /**
   * The live path: registers the event's message and makes its first attempt. An order's outcome is its
   * first webhook, so nothing of its order can hold it back: its first attempt is claimed in the same
   * round trip that stores the message (one round trip fewer per webhook). Other events register, then
   * attempt, which checks their order's earlier events first. Idempotent like registerEvent.
   */
  async deliver(event: WebhookEvent): Promise<AttemptReport | undefined> {
    const now = this.clock();
    const message = this.messageFor(event, now);
    const firstClaim = FIRST_OF_ORDER.has(message.eventType) ? claimOf(message, 1, now, this.options.leaseMs) : undefined;
    const { message: stored, created, claimed } = await this.options.store.register(message, firstClaim);
    if (created) this.options.metrics.registered.inc({ event_type: message.eventType });
    if (created && claimed && firstClaim) return this.run(message, firstClaim, true);
    if (stored.status === "DELIVERED" || stored.status === "DEAD") return undefined;
    return this.attempt(stored.webhookId, created ? { message: stored, justRegistered: true } : {});
  }

  private messageFor(event: WebhookEvent, now: Date): WebhookMessage {
    const type = event.type;
    return newMessage(
      {
        webhookId: webhookId(type, event.key),
        eventType: type,
        orderId: event.orderId,
        endpointId: this.options.endpoints.endpointIdFor({ orderId: event.orderId, eventType: type, ...(event.partnerId ? { partnerId: event.partnerId } : {}) }),
        payload: JSON.stringify(event.payload),
        occurredAt: event.occurredAt,
      },
      now,
    );
  }

  // ---- attempting

  /** Makes the message's next attempt if it is due and nothing earlier of its order waits. */
  async attempt(
    webhookId: string,
    known?: { message?: WebhookMessage; entry?: UndeliveredEntry; siblings?: readonly UndeliveredEntry[]; justRegistered?: boolean },
  ): Promise<AttemptReport> {
    const { store } = this.options;
    const now = this.clock();
    // A message this worker has just registered: its entry is the one it wrote, and nothing else has touched it.
    const fresh = known?.justRegistered === true && known.message !== undefined;
    const entry = known?.entry ?? (fresh ? entryOf(known.message!) : await store.findEntry(webhookId));
    if (!entry) return { kind: "gone", webhookId };
    if (entry.status === "DEAD") return { kind: "dead-already", webhookId };
    // A timer may fire a moment early; a few milliseconds do not make a retry early.
    if (entry.dueAt && entry.dueAt.getTime() > now.getTime() + 20) return { kind: "not-due", webhookId, dueAt: entry.dueAt };
    // An order's outcome is its first webhook: nothing of the order can come before it.
    if (!FIRST_OF_ORDER.has(entry.eventType)) {
      const siblings = known?.siblings ?? (await store.entriesForOrder(entry.orderId));
      if (blockedBy(entry, siblings)) return { kind: "blocked", webhookId };
    }

    // The working-set entry is the message (the sweep reads entries without their bodies).
    let message = known?.message ?? (entry.payload !== undefined ? messageOf(entry) : await store.findMessage(webhookId));
    if (!message || message.status === "DELIVERED") return { kind: "gone", webhookId };

    // Claim the entry's next attempt; a claim whose holder is gone (lease run out) is passed over.
    let attempt = entry.nextAttempt;
    let claim: AttemptRecord | undefined;
    for (let tries = 0; tries < 4; tries++) {
      const candidate = claimOf(message, attempt, now, this.options.leaseMs);
      if (await store.claim(candidate)) {
        claim = candidate;
        break;
      }
      const held = await store.findAttempt(webhookId, attempt);
      if (!held) continue;
      // A recorded attempt's holder gets a lease's time to finish moving the message; an unrecorded one, its lease.
      const holdUntil = held.recordedAt ? held.recordedAt.getTime() + this.options.leaseMs : held.leaseUntil.getTime();
      if (holdUntil >= now.getTime()) return { kind: "busy", webhookId };
      if (held.outcome !== "IN_FLIGHT") {
        // Its holder recorded the attempt and stopped before moving the message: finish for it, from the log,
        // unless a later attempt exists (then the message has moved on and belongs to that attempt's holder).
        if (await store.claimed(webhookId, attempt + 1)) return { kind: "busy", webhookId };
        const current = (await store.findMessage(webhookId)) ?? message;
        if (current.attempts > held.attemptNumber) return { kind: "busy", webhookId };
        await this.project(applyRecorded(current, held));
        this.options.logger.warn({ webhookId, attempt }, "finished an attempt's bookkeeping for a holder that stopped");
        return { kind: "repaired", webhookId };
      }
      this.options.logger.warn({ webhookId, attempt, claimedAt: held.claimedAt }, "attempt abandoned by its holder; taking the message over");
      this.options.metrics.attempts.inc({ event_type: message.eventType, result: "abandoned" });
      attempt += 1;
    }
    if (!claim) return { kind: "busy", webhookId };
    // Holding the claim, this worker is now the message's only writer; read what it is now
    // (unless it registered the message itself and holds its first attempt: then it knows).
    const firstOfFresh = fresh && claim.attemptNumber === 1;
    const held = firstOfFresh ? message : ((await store.findMessage(webhookId)) ?? message);
    if (held.status === "DELIVERED" || held.attempts >= claim.attemptNumber) return { kind: "busy", webhookId };
    return this.run(held, claim, firstOfFresh);
  }

  /**
   * Sends the claimed attempt and records it. `firstOfFresh`: the first attempt of a message this
   * worker has just registered; its entry is not rewritten to DELIVERING first (one write fewer on the
   * live path): the attempt's claim, with its lease, is what keeps every other path off it.
   */
  private async run(claimed: WebhookMessage, claim: AttemptRecord, firstOfFresh = false): Promise<AttemptReport> {
    const { store, metrics, logger } = this.options;
    const webhookId = claimed.webhookId;
    const log = logger.child({ webhookId, orderId: claimed.orderId, eventType: claimed.eventType, attempt: claim.attemptNumber });
    // An endpoint set up a moment ago may not be known here yet: read the directory again before giving up.
    const endpoint = this.options.endpoints.find(claimed.endpointId) ?? ((await this.options.endpoints.refresh?.().catch(() => undefined)), this.options.endpoints.find(claimed.endpointId));
    const health = await this.currentHealth(claimed.endpointId);
    if (!endpoint || health.disabled) {
      const reason = !endpoint ? `endpoint ${claimed.endpointId} is not configured` : `the endpoint is disabled (${health.disabledReason ?? "by an operator"})`;
      const record = recordNotSent(claim, reason, this.clock());
      await store.record(record);
      const message = applyRecorded(claimed, record);
      await this.project(message);
      metrics.attempts.inc({ event_type: claimed.eventType, result: "not-sent" });
      log.warn({ reason }, "webhook not sent: dead until replayed");
      return { kind: "not-sent", webhookId, attempt: claim.attemptNumber };
    }

    const delivering = startAttempt(claimed, claim.attemptNumber, claim.claimedAt);
    if (this.leaseLost(claim, log)) return { kind: "busy", webhookId };
    if (!firstOfFresh) await store.saveMessage(delivering);
    const result = await this.options.sender.send(endpoint, claimed, claim.attemptNumber);
    metrics.attemptSeconds.observe({ event_type: claimed.eventType }, result.durationMs / 1000);
    const { record, decision } = recordSent(claim, delivering, result, this.options.schedule, this.clock(), this.random);
    // Past its lease another worker may have taken the message over: then this one writes nothing more.
    if (this.leaseLost(claim, log)) return { kind: "busy", webhookId };
    const message = applyRecorded(delivering, record);
    // The attempt's record, the message and its entry go together (one group-committed round trip);
    // a reader that sees the new entry before the new message re-reads the message once it holds a claim.
    await Promise.all([store.record(record), this.project(message)]);

    switch (decision.kind) {
      case "delivered":
        metrics.attempts.inc({ event_type: message.eventType, result: "delivered" });
        log.info({ httpStatus: record.httpStatus, durationMs: record.durationMs }, "webhook delivered");
        await this.changeHealth(message.endpointId, (h) => afterDelivered(h, record.recordedAt!), { trustCache: true });
        // A later event of the order can only be waiting if this one waited (delivered at its very first
        // attempt, it had no time to hold anything back; the sweep covers that sliver).
        if (claim.attemptNumber > 1 || message.replays > 0 || !FIRST_OF_ORDER.has(message.eventType)) await this.wakeLaterEvents(message);
        return { kind: "delivered", webhookId, attempt: claim.attemptNumber };
      case "retry":
        metrics.attempts.inc({ event_type: message.eventType, result: "retry" });
        log.warn({ error: record.error, httpStatus: record.httpStatus, retryAt: record.nextRetryAt }, "webhook attempt failed; retry scheduled");
        this.options.onDue(webhookId, record.nextRetryAt!);
        return { kind: "retry", webhookId, attempt: claim.attemptNumber, dueAt: record.nextRetryAt! };
      case "dead":
        metrics.attempts.inc({ event_type: message.eventType, result: "dead" });
        log.error({ error: record.error, httpStatus: record.httpStatus, reason: decision.reason }, "webhook dead: not delivered; replay it once the receiver is back");
        await this.changeHealth(message.endpointId, (h) =>
          decision.endpointGone ? afterGone(h, message.createdAt, record.recordedAt!) : afterDead(h, message.createdAt, record.recordedAt!, this.options.disableRules),
        );
        return { kind: "dead", webhookId, attempt: claim.attemptNumber };
    }
  }

  private leaseLost(claim: AttemptRecord, log: Logger): boolean {
    if (this.clock().getTime() <= claim.leaseUntil.getTime()) return false;
    log.warn({ leaseUntil: claim.leaseUntil }, "attempt outlived its lease; leaving the message to whoever took it over");
    this.options.metrics.attempts.inc({ event_type: claim.eventType, result: "abandoned" });
    return true;
  }

  /** Writes the message and its working-set entry (deleted once delivered). */
  private async project(message: WebhookMessage): Promise<void> {
    await this.options.store.saveMessage(message);
  }

  /** After a delivery, the next event of the same order may go. */
  private async wakeLaterEvents(message: WebhookMessage): Promise<void> {
    const siblings = await this.options.store.entriesForOrder(message.orderId);
    for (const sibling of siblings) {
      if (sibling.webhookId === message.webhookId || sibling.status === "DEAD") continue;
      const dueAt = sibling.dueAt && sibling.dueAt > this.clock() ? sibling.dueAt : this.clock();
      this.options.onDue(sibling.webhookId, dueAt);
    }
  }

  // ---- the sweep (the webhook-retry job)

  /**
   * One pass over the working set: every due message that no earlier event
   * of its order holds back is attempted, `concurrency` at a time, earliest
   * event first. Safe beside the live path and other sweeps.
   */
  async sweep(options: { concurrency: number; signal?: AbortSignal; extra?: () => string[] }): Promise<SweepReport> {
    const counts = { undelivered: 0, due: 0, delivered: 0, retrying: 0, dead: 0, blocked: 0, busy: 0, repaired: 0, errors: 0 };
    const entries = await this.options.store.allEntries();
    counts.undelivered = entries.length;
    const now = this.clock();
    const due = entries
      .filter((e) => e.status !== "DEAD" && e.dueAt && e.dueAt.getTime() <= now.getTime())
      .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime());
    counts.due = due.length;
    const byOrder = new Map<string, UndeliveredEntry[]>();
    for (const e of entries) byOrder.set(e.orderId, [...(byOrder.get(e.orderId) ?? []), e]);
    const queue = [...due];
    const seen = new Set<string>();
    const work = async () => {
      for (;;) {
        if (options.signal?.aborted) return;
        let next = queue.shift();
        if (!next) {
          const more = (options.extra?.() ?? []).filter((id) => !seen.has(id));
          if (more.length === 0) return;
          queue.push(...(await Promise.all(more.map((id) => this.options.store.findEntry(id)))).filter((e): e is UndeliveredEntry => e !== undefined));
          next = queue.shift();
          if (!next) return;
        }
        seen.add(next.webhookId);
        try {
          const report = await this.attempt(next.webhookId, { entry: next, ...(byOrder.has(next.orderId) && !options.extra ? { siblings: byOrder.get(next.orderId)! } : {}) });
          switch (report.kind) {
            case "delivered":
              counts.delivered += 1;
              break;
            case "retry":
              counts.retrying += 1;
              break;
            case "dead":
            case "not-sent":
              counts.dead += 1;
              break;
            case "blocked":
              counts.blocked += 1;
              break;
            case "busy":
              counts.busy += 1;
              break;
            case "repaired":
              counts.repaired += 1;
              break;
            default:
              break;
          }
        } catch (err) {
          counts.errors += 1;
          this.options.logger.error({ err, webhookId: next.webhookId }, "sweep could not attempt a message");
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, work));
    return counts;
  }

  // ---- replay

  /** A new attempt chain for a dead message, with the same webhook id; its first attempt is due at once. */
  async replay(webhookId: string): Promise<WebhookMessage> {
    const { store } = this.options;
    const message = await store.findMessage(webhookId);
    if (!message) throw new ReplayRefused("NOT_FOUND", `no webhook ${webhookId}`);
    if (message.status !== "DEAD") throw new ReplayRefused("NOT_DEAD", `webhook ${webhookId} is ${message.status}; only a dead message can be replayed`);
    const replayed = replay(message, this.clock());
    await this.project(replayed);
    this.options.metrics.replays.inc({ event_type: replayed.eventType });
    this.options.logger.info({ webhookId, orderId: message.orderId, replay: replayed.replays }, "webhook replayed");
    this.options.onDue(webhookId, replayed.nextAttemptAt!);
    return replayed;
  }

  /** Replays every dead message of one order, earliest event first. */
  async replayOrder(orderId: string): Promise<string[]> {
    const dead = (await this.options.store.entriesForOrder(orderId)).filter((e) => e.status === "DEAD");
    return this.replayAll(dead);
  }

  /** Replays every message that died at or after `since` (for one endpoint, or all). */
  async replayDeadSince(since: Date, endpointId?: string): Promise<string[]> {
    const dead = (await this.options.store.allEntries()).filter(
      (e) => e.status === "DEAD" && e.deadAt && e.deadAt.getTime() >= since.getTime() && (!endpointId || e.endpointId === endpointId),
    );
    return this.replayAll(dead);
  }

  private async replayAll(entries: UndeliveredEntry[]): Promise<string[]> {
    const ordered = entries.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime());
    const ids: string[] = [];
    for (const entry of ordered) {
      try {
        await this.replay(entry.webhookId);
        ids.push(entry.webhookId);
      } catch (err) {
        if (!(err instanceof ReplayRefused)) throw err;
      }
    }
    return ids;
  }

  // ---- endpoint health

  async currentHealth(endpointId: string, fresh = false): Promise<EndpointHealth> {
    const cached = this.healthCache.get(endpointId);
    if (!fresh && cached && Date.now() - cached.readAt < (this.options.healthCacheMs ?? 2_000)) return cached.health;
    const health = (await this.options.store.latestHealth(endpointId)) ?? initialHealth(endpointId);
    this.healthCache.set(endpointId, { health, readAt: Date.now() });
    this.options.metrics.endpointDisabled.set({ endpoint: endpointId }, health.disabled ? 1 : 0);
    return health;
  }

  /** Applies a change as the next version (a unique insert); re-reads and re-applies when another change came first. */
  private async changeHealth(endpointId: string, change: (health: EndpointHealth) => HealthChange, options: { trustCache?: boolean } = {}): Promise<EndpointHealth> {
    for (let tries = 0; ; tries++) {
      // A delivery only ends a failure streak: when the recent read shows none, there is nothing to write or read.
      const current = await this.currentHealth(endpointId, !(options.trustCache && tries === 0));
      const next = change(current);
      if (!next) return current;
      const health: EndpointHealth = { ...next, endpointId, version: current.version + 1 };
      if (await this.options.store.claimHealth(health)) {
        this.healthCache.set(endpointId, { health, readAt: Date.now() });
        this.options.metrics.endpointDisabled.set({ endpoint: endpointId }, health.disabled ? 1 : 0);
        if (health.disabled && !current.disabled) {
          this.options.logger.error({ endpointId, reason: health.disabledReason, deadStreak: health.deadStreak, failingSince: health.failingSince }, "webhook endpoint disabled: nothing is sent to it until it is enabled again (EnableEndpoint)");
        }
        return health;
      }
      if (tries >= 8) throw new Error(`could not change the health of endpoint ${endpointId}: too many concurrent changes`);
    }
  }

  /** Enables a disabled endpoint and replays what died since it started failing. */
  async enableEndpoint(endpointId: string): Promise<{ health: EndpointHealth; replayed: string[] }> {
    let replaySince: Date | undefined;
    const health = await this.changeHealth(endpointId, (h) => {
      const result = enable(h, this.clock());
      replaySince = result.replaySince;
      return result.change;
    });
    const replayed = replaySince ? await this.replayDeadSince(replaySince, endpointId) : [];
    this.options.logger.info({ endpointId, replayed: replayed.length, since: replaySince }, "webhook endpoint enabled");
    return { health, replayed };
  }

  // ---- numbers for the gauges

  async stats(): Promise<DeliveryStats> {
    const entries = await this.options.store.allEntries();
    const byStatus: Record<string, number> = { PENDING: 0, DELIVERING: 0, RETRYING: 0, DEAD: 0 };
    let oldest: Date | undefined;
    for (const e of entries) {
      byStatus[e.status] = (byStatus[e.status] ?? 0) + 1;
      if (e.status !== "DEAD" && (!oldest || e.createdAt < oldest)) oldest = e.createdAt;
    }
    return { dead: byStatus.DEAD ?? 0, undelivered: entries.length, oldestUndeliveredAt: oldest, byStatus };
  }
}

export class ReplayRefused extends Error {
  constructor(
    readonly reason: "NOT_FOUND" | "NOT_DEAD",
    message: string,
  ) {
    super(message);
    this.name = "ReplayRefused";
  }
}
