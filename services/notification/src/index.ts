export { buildPayload, webhookId, type WebhookPayload } from "./domain/webhook.js";
export { decideAfterAttempt, DEFAULT_RETRY_DELAYS_MS } from "./domain/retry-policy.js";
export { WebhookSender } from "./adapters/webhook-sender.js";
export { loadNotificationConfig } from "./config.js";
