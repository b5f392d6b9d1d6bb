/** What the ordering rule needs to know about a message not yet delivered. */
export interface QueuedMessage {
  readonly webhookId: string;
  readonly orderId: string;
  readonly occurredAt: Date;
  readonly createdAt: Date;
}

/** True when `a` comes before `b` in its order's event order: by event time, then registration, then id. */
export function comesBefore(a: QueuedMessage, b: QueuedMessage): boolean {
  const byTime = a.occurredAt.getTime() - b.occurredAt.getTime();
  if (byTime !== 0) return byTime < 0;
  const byCreation = a.createdAt.getTime() - b.createdAt.getTime();
  if (byCreation !== 0) return byCreation < 0;
  return a.webhookId < b.webhookId;
}

/**
 * The earlier message of the same order that `message` must wait for, if
 * any: every message of an order not yet DELIVERED (dead ones included) is
 * in `undelivered`, so a later event is never sent before an earlier one,
 * even when the earlier one died and waits for a replay.
 */
export function blockedBy(message: QueuedMessage, undelivered: readonly QueuedMessage[]): QueuedMessage | undefined {
  let first: QueuedMessage | undefined;
  for (const other of undelivered) {
    if (other.webhookId === message.webhookId || other.orderId !== message.orderId) continue;
    if (comesBefore(other, message) && (!first || comesBefore(other, first))) first = other;
  }
  return first;
}
