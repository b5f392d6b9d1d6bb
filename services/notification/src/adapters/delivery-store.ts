import { isDuplicateKeyError, type Database, type IndexDefinition } from "@t2m/platform";
import type { Collection } from "mongodb";
import type { DeliveryAttemptRecord, MessageStatus, WebhookMessage } from "../domain/deliver.js";

export const WEBHOOK_MESSAGES_COLLECTION = "webhook_messages";
export const WEBHOOK_LOGS_COLLECTION = "webhook_logs";

type MessageDocument = WebhookMessage & { _id: string; updatedAt: Date; nextRetryAt: Date | null };

const messageIndexes: IndexDefinition[] = [
  { key: { orderId: 1 }, options: { name: "orderId" } },
  // The retry sweep looks for pending messages that are due.
  { key: { status: 1, nextRetryAt: 1 }, options: { name: "status_nextRetryAt" } },
];
const logIndexes: IndexDefinition[] = [
  { key: { orderId: 1, attemptedAt: 1 }, options: { name: "orderId_attemptedAt" } },
  { key: { webhookId: 1, attemptNumber: 1 }, options: { name: "webhookId_attemptNumber" } },
];

/** Webhook messages (one per event and order) and their attempt log. */
export class DeliveryStore {
  private readonly messages: Collection<MessageDocument>;
  private readonly logs: Collection<DeliveryAttemptRecord>;

  constructor(private readonly database: Database) {
    this.messages = database.collection(WEBHOOK_MESSAGES_COLLECTION);
    this.logs = database.collection(WEBHOOK_LOGS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.database.ensureIndexes(WEBHOOK_MESSAGES_COLLECTION, messageIndexes);
    await this.database.ensureIndexes(WEBHOOK_LOGS_COLLECTION, logIndexes);
  }

  async register(message: WebhookMessage): Promise<WebhookMessage> {
    try {
      await this.messages.insertOne({ _id: message.webhookId, ...message, updatedAt: message.createdAt, nextRetryAt: null });
      return message;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const existing = await this.messages.findOne({ _id: message.webhookId });
      if (!existing) throw err;
      const { _id, updatedAt, nextRetryAt, ...stored } = existing;
      return stored;
    }
  }

  async record(attempt: DeliveryAttemptRecord, status: MessageStatus): Promise<void> {
    await this.logs.insertOne({ ...attempt });
    await this.messages.updateOne(
      { _id: attempt.webhookId },
      { $set: { status, attempts: attempt.attemptNumber, updatedAt: attempt.attemptedAt, nextRetryAt: attempt.nextRetryAt } },
    );
  }

  async attemptsForOrder(orderId: string, limit = 200): Promise<DeliveryAttemptRecord[]> {
    const docs = await this.logs.find({ orderId }).sort({ attemptedAt: 1, attemptNumber: 1 }).limit(limit).toArray();
    return docs.map(({ _id, ...attempt }) => attempt);
  }
}
