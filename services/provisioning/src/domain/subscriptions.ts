import { partnerOfPlatformOrderId, platformOrderId } from "@t2m/topology";
import type { LicenceProvisioner, LicenceRequest } from "./provisioning.js";
import {
  activate,
  expire,
  renew,
  revoke,
  SubscriptionChangeRefused,
  type ChangeKind,
  type Renewal,
  type SubscriptionChange,
  type SubscriptionRecord,
} from "./subscription.js";
import { pastEnd } from "./due.js";

/**
 * Subscriptions: every change is a numbered record in the subscription's
 * history, and the subscription document is a projection of its latest
 * change.
 *
 * - A change is claimed by inserting `<subscriptionId>#<version>` (a unique
 *   insert: the one operation atomic on MongoDB and FerretDB alike), so two
 *   writers (a renewal, a revocation, the renewal-check job, two runs of it)
 *   never both make version n; the loser reads what won and decides again.
 * - The claimant then does the change's effects (the licence provisioner,
 *   the event), each idempotent, and only then writes the projection. A
 *   projection behind its history is a change not finished: whoever meets
 *   it (a repeat of the call, the job's rerun, a reader once the change is
 *   older than a grace period) finishes it, with the same effects.
 * - The jobs select by the projection filed under the day of the period's
 *   end; every decision that changes something is made through a claim, so
 *   a stale projection can cost a lost claim but never a wrong change.
 */
export interface SubscriptionStore {
  findProjection(subscriptionId: string): Promise<SubscriptionRecord | undefined>;
  findByActivationReference(activationReference: string): Promise<SubscriptionRecord | undefined>;
  findChange(subscriptionId: string, version: number): Promise<SubscriptionChange | undefined>;
  /** The whole history, oldest first. */
  changes(subscriptionId: string): Promise<SubscriptionChange[]>;
  /** Claims version `change.version`; false when another change has it. */
  claim(change: SubscriptionChange): Promise<boolean>;
  /**
   * Writes the change's projection (the subscription as the change left it,
   * and its entry under its period end's day) unless already at this
   * version or later.
   */
  project(change: SubscriptionChange): Promise<void>;
  byCustomer(customerId: string): Promise<SubscriptionRecord[]>;
}

/** Renewal orders accepted and not finished (the working set the renewal-check job consults). */
export interface PendingRenewal {
  readonly renewalOrderId: string;
  readonly subscriptionId: string;
  readonly createdAt: Date;
}

export interface PendingRenewals {
  add(renewal: PendingRenewal): Promise<void>;
  remove(renewalOrderId: string): Promise<void>;
  all(): Promise<PendingRenewal[]>;
}

/** Publishes a finished change's event; repeats carry the same message id. */
export interface ChangeAnnouncer {
  announce(change: SubscriptionChange): Promise<void>;
}

export class SubscriptionNotFound extends Error {
  constructor(readonly reference: string) {
    super(`no subscription "${reference}"`);
    this.name = "SubscriptionNotFound";
  }
}

/** A renewal order for another product or customer than the subscription's. */
export class RenewalMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RenewalMismatch";
  }
}

export interface SubscriptionsOptions {
  readonly store: SubscriptionStore;
  readonly pending: PendingRenewals;
  readonly provisioner: LicenceProvisioner;
  readonly announcer: ChangeAnnouncer;
  /** Readers finish another writer's change only once it is this old (real time); default 30 s. */
  readonly finishAfterMs?: number;
  /** Told of each change this process claimed. */
  readonly onChange?: (kind: ChangeKind) => void;
  /** Real time, for the grace period (the changes themselves carry the caller's clock). */
  readonly realClock?: () => Date;
}

/** How a read treats changes it finds unfinished. */
type Finish = "all" | "stale" | "none";

export type ExpiryOutcome = "expired" | "not-due" | "already-expired" | "changed";

export class Subscriptions {
  private readonly finishAfterMs: number;
  private readonly realClock: () => Date;

  constructor(private readonly options: SubscriptionsOptions) {
    this.finishAfterMs = options.finishAfterMs ?? 30_000;
    this.realClock = options.realClock ?? (() => new Date());
  }

  // ---- reads

  /**
   * The subscription's id for an activation reference or an original order
   * id. With `partnerId`, the order id is the partner's own and only that
   * partner's subscriptions are found (its id is its first order's platform id).
   */
  async resolve(reference: string, partnerId?: string): Promise<string | undefined> {
    const { store } = this.options;
    if (reference === "") return undefined;
    const owned = (id: string) => !partnerId || partnerOfPlatformOrderId(id).partnerId === partnerId;
    const orderId = partnerId ? platformOrderId(partnerId, reference) : reference;
    const byId = owned(orderId) ? await store.findProjection(orderId) : undefined;
    if (byId) return byId.orderId;
    const byReference = await store.findByActivationReference(reference);
    if (byReference && owned(byReference.orderId)) return byReference.orderId;
    // Activated but not projected yet (its writer stopped in between).
    return owned(orderId) && (await store.findChange(orderId, 1)) ? orderId : undefined;
  }

  /** The subscription as its history says, finishing what a stopped writer left. */
  async current(subscriptionId: string, finish: Finish = "stale"): Promise<SubscriptionRecord | undefined> {
    const projection = await this.options.store.findProjection(subscriptionId);
    let latest = projection;
    for (let version = (projection?.version ?? 0) + 1; ; version++) {
      const change = await this.options.store.findChange(subscriptionId, version);
      if (!change) break;
      if (this.shouldFinish(change, finish)) await this.finish(change);
      latest = change.state;
    }
    return latest;
  }

  /** The subscription and its history, oldest change first. */
  async lookup(reference: string, partnerId?: string): Promise<{ subscription: SubscriptionRecord; history: SubscriptionChange[] }> {
    const id = await this.resolve(reference, partnerId);
    if (!id) throw new SubscriptionNotFound(reference);
    const { projection, changes } = await this.chain(id);
    for (const change of changes) if (change.version > (projection?.version ?? 0) && this.shouldFinish(change, "stale")) await this.finish(change);
    const subscription = changes.at(-1)?.state ?? projection;
    if (!subscription) throw new SubscriptionNotFound(reference);
    return { subscription, history: changes };
  }

  /** A customer's subscriptions; with `partnerId`, only that partner's (two partners may share customer ids). */
  async ofCustomer(customerId: string, partnerId?: string): Promise<SubscriptionRecord[]> {
    const listed = (await this.options.store.byCustomer(customerId)).filter((s) => !partnerId || partnerOfPlatformOrderId(s.orderId).partnerId === partnerId);
    const current = await Promise.all(listed.map(async (s) => (await this.current(s.orderId, "stale")) ?? s));
    return current.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.orderId.localeCompare(b.orderId));
  }

  // ---- changes

  /** Version 1 for a fulfilled order (ProvisionLicence): at most one licence per order. */
  async activate(request: LicenceRequest, now: Date): Promise<{ subscription: SubscriptionRecord; replayed: boolean }> {
    const existing = await this.current(request.orderId, "all");
    if (existing) return { subscription: existing, replayed: true };
    const { activationReference } = await this.options.provisioner.provision(request);
    const change = activate(
      {
        orderId: request.orderId,
        productId: request.productId,
        tenure: request.tenure,
        tenureMonths: request.tenureMonths,
        customerId: request.customer.customerId,
        customerEmail: request.customer.email,
        zohoSalesOrderId: request.zohoSalesOrderId,
        activationReference,
      },
      now,
    );
    if (!(await this.claim(change))) {
      const winner = await this.current(request.orderId, "all");
      if (!winner) throw new Error(`subscription ${request.orderId} was claimed but cannot be read`);
      return { subscription: winner, replayed: true };
    }
    return { subscription: change.state, replayed: false };
  }

  /**
   * Intake's check of a renewal order: the subscription exists, is not
   * revoked, and is the order's product and customer. Records the renewal
   * as pending.
   */
  async prepareRenewal(request: { renewalOrderId: string; reference: string; productId: string; customerId: string; partnerId?: string }, now: Date): Promise<SubscriptionRecord> {
    const id = await this.resolve(request.reference, request.partnerId || undefined);
    const subscription = id ? await this.current(id, "stale") : undefined;
    if (!subscription) throw new SubscriptionNotFound(request.reference);
    if (subscription.status === "REVOKED") {
      throw new SubscriptionChangeRefused("SUBSCRIPTION_REVOKED", `subscription ${request.reference} was revoked; it cannot be renewed`);
    }
    if (subscription.productId !== request.productId) {
      throw new RenewalMismatch(`subscription ${request.reference} is for ${subscription.productId}, not ${request.productId}`);
    }
    if (subscription.customerId !== request.customerId) {
      throw new RenewalMismatch(`subscription ${request.reference} belongs to another customer`);
    }
    await this.options.pending.add({ renewalOrderId: request.renewalOrderId, subscriptionId: subscription.orderId, createdAt: now });
    return subscription;
  }

  /** The new period of a renewal order; a repeat returns the period it recorded. */
  async renew(subscriptionId: string, renewal: Renewal, now: Date): Promise<SubscriptionRecord> {
    for (let tries = 0; tries < 8; tries++) {
      const { projection, changes } = await this.chain(subscriptionId);
      if (changes.length === 0) throw new SubscriptionNotFound(subscriptionId);
      const done = changes.find((c) => c.kind === "RENEWED" && c.orderId === renewal.renewalOrderId);
      const unfinished = changes.filter((c) => c.version > (projection?.version ?? 0));
      for (const change of unfinished) await this.finish(change);
      if (done) {
        await this.options.pending.remove(renewal.renewalOrderId);
        return done.state;
      }
      const change = renew(changes.at(-1)!.state, renewal, now);
      if (await this.claim(change)) return change.state;
    }
    throw new Error(`subscription ${subscriptionId} keeps changing; renewal ${renewal.renewalOrderId} not recorded`);
  }

  /** REVOKED, the licence provisioner told; a second call returns the revoked subscription. */
  async revoke(reference: string, reason: string, now: Date, partnerId?: string): Promise<{ subscription: SubscriptionRecord; alreadyRevoked: boolean }> {
    const id = await this.resolve(reference, partnerId);
    if (!id) throw new SubscriptionNotFound(reference);
    for (let tries = 0; tries < 8; tries++) {
      const current = await this.current(id, "all");
      if (!current) throw new SubscriptionNotFound(reference);
      if (current.status === "REVOKED") return { subscription: current, alreadyRevoked: true };
      const change = revoke(current, reason, now);
      if (await this.claim(change)) return { subscription: change.state, alreadyRevoked: false };
    }
    throw new Error(`subscription ${id} keeps changing; not revoked`);
  }

  /**
   * EXPIRED for a subscription the renewal-check job found past its end (by
   * its projection). A lost claim means someone changed it meanwhile: the
   * history decides again (renewed: not due; expired by another run, or
   * left half-done by a run that died: finished here).
   */
  async expireIfDue(candidate: SubscriptionRecord, now: Date): Promise<ExpiryOutcome> {
    let state = candidate;
    for (let tries = 0; tries < 8; tries++) {
      if (!pastEnd(state, now)) {
        if (state === candidate) return "not-due";
        return state.status === "EXPIRED" ? "already-expired" : "changed";
      }
      if (await this.claim(expire(state, now))) return "expired";
      const latest = await this.current(state.orderId, "all");
      if (!latest) return "changed";
      state = latest;
    }
    return "changed";
  }

  // ---- internals

  private async chain(subscriptionId: string): Promise<{ projection: SubscriptionRecord | undefined; changes: SubscriptionChange[] }> {
    const [projection, stored] = await Promise.all([this.options.store.findProjection(subscriptionId), this.options.store.changes(subscriptionId)]);
    // A subscription stored before histories existed has no change 1: its projection is that change.
    const changes =
      projection && !stored.some((c) => c.version === 1)
        ? [{ subscriptionId, version: 1, kind: "ACTIVATED" as const, at: projection.createdAt, orderId: subscriptionId, state: { ...projection, version: 1 } }, ...stored]
        : stored;
    return { projection, changes: changes.sort((a, b) => a.version - b.version) };
  }

  /** Claims a change and, having won it, finishes it. */
  private async claim(change: SubscriptionChange): Promise<boolean> {
    const claimed: SubscriptionChange = { ...change, recordedAt: this.realClock() };
    if (!(await this.options.store.claim(claimed))) return false;
    this.options.onChange?.(change.kind);
    await this.finish(claimed);
    return true;
  }

  private shouldFinish(change: SubscriptionChange, finish: Finish): boolean {
    if (finish === "all") return true;
    if (finish === "none") return false;
    const recorded = change.recordedAt ?? change.at;
    return this.realClock().getTime() - recorded.getTime() >= this.finishAfterMs;
  }

  /** The change's effects (each idempotent), then its projection. */
  private async finish(change: SubscriptionChange): Promise<void> {
    const { state } = change;
    switch (change.kind) {
      case "RENEWED":
        await this.options.provisioner.extend({
          activationReference: state.activationReference,
          renewalOrderId: change.orderId ?? "",
          subscriptionId: state.orderId,
          productId: state.productId,
          customerId: state.customerId,
          customerEmail: state.customerEmail,
          zohoSalesOrderId: state.zohoSalesOrderId,
          tenure: state.tenure,
          tenureMonths: state.tenureMonths,
          periodStart: state.startDate,
          expiryDate: state.expiryDate,
        });
        break;
      case "REVOKED":
        await this.options.provisioner.revoke({ activationReference: state.activationReference, reason: change.reason ?? "", revokedAt: change.at });
        break;
      default:
        break;
    }
    if (change.kind !== "ACTIVATED") await this.options.announcer.announce(change);
    await this.options.store.project(change);
    if (change.kind === "RENEWED" && change.orderId) await this.options.pending.remove(change.orderId);
  }
}
