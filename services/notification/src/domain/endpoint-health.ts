/**
 * An endpoint's health, as a sequence of versions: each change claims the
 * next version by a unique insert (`<endpointId>#<version>`), so concurrent
 * workers cannot lose each other's changes even where updates are not
 * atomic (FerretDB). Version 0 is implicit: enabled, nothing failing.
 */
export interface EndpointHealth {
  readonly endpointId: string;
  readonly version: number;
  readonly disabled: boolean;
  readonly disabledReason?: string;
  readonly disabledAt?: Date;
  /** Messages that died in a row since the last delivery. */
  readonly deadStreak: number;
  /** When the first message of the current streak was created; unset while deliveries succeed. */
  readonly failingSince?: Date;
  readonly changedAt: Date;
}

export interface DisableRules {
  /** Disable after this many messages died in a row (WEBHOOK_ENDPOINT_DISABLE_AFTER_DEAD). */
  readonly afterDeadInARow: number;
  /** Disable once failing for this long with at least one more death (WEBHOOK_ENDPOINT_DISABLE_AFTER_MS; Svix: 5 days). */
  readonly afterFailingMs: number;
}

export const defaultDisableRules: DisableRules = { afterDeadInARow: 20, afterFailingMs: 5 * 24 * 60 * 60 * 1000 };

export const initialHealth = (endpointId: string): EndpointHealth => ({ endpointId, version: 0, disabled: false, deadStreak: 0, changedAt: new Date(0) });

/** A change to apply, or undefined when nothing changes. */
export type HealthChange = Omit<EndpointHealth, "version" | "endpointId"> | undefined;

function next(health: EndpointHealth, at: Date, changes: Partial<EndpointHealth>): HealthChange {
  const { version: _v, endpointId: _e, ...rest } = health;
  return { ...rest, ...changes, changedAt: at };
}

/** A message was delivered: the failure streak ends. */
export function afterDelivered(health: EndpointHealth, at: Date): HealthChange {
  if (health.deadStreak === 0 && !health.failingSince) return undefined;
  const { failingSince: _, ...rest } = health;
  return next({ ...rest }, at, { deadStreak: 0 });
}

/** A message died after its retries (not because the endpoint was already disabled). */
export function afterDead(health: EndpointHealth, messageCreatedAt: Date, at: Date, rules: DisableRules): HealthChange {
  const deadStreak = health.deadStreak + 1;
  const failingSince = health.failingSince ?? messageCreatedAt;
  if (health.disabled) return next(health, at, { deadStreak, failingSince });
  const failingMs = at.getTime() - failingSince.getTime();
  const reason =
    deadStreak >= rules.afterDeadInARow
      ? `${deadStreak} messages dead in a row`
      : failingMs >= rules.afterFailingMs
        ? `failing for ${Math.round(failingMs / 3_600_000)} h`
        : undefined;
  return next(health, at, { deadStreak, failingSince, ...(reason ? { disabled: true, disabledReason: reason, disabledAt: at } : {}) });
}

/** The endpoint answered 410 Gone: it was removed, so stop sending to it. */
export function afterGone(health: EndpointHealth, messageCreatedAt: Date, at: Date): HealthChange {
  return next(health, at, {
    deadStreak: health.deadStreak + 1,
    failingSince: health.failingSince ?? messageCreatedAt,
    ...(health.disabled ? {} : { disabled: true, disabledReason: "410 Gone", disabledAt: at }),
  });
}

/**
 * Enabling again: returns the change and the time from which dead messages
 * are replayed (what died since the endpoint started failing).
 */
export function enable(health: EndpointHealth, at: Date): { change: HealthChange; replaySince: Date | undefined } {
  const replaySince = health.failingSince ?? health.disabledAt;
  if (!health.disabled) return { change: undefined, replaySince: undefined };
  const { disabledReason: _r, disabledAt: _a, failingSince: _f, ...rest } = health;
  return { change: next({ ...rest }, at, { disabled: false, deadStreak: 0 }), replaySince };
}
