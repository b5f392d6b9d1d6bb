export { buildPayload, webhookId, type WebhookPayload, type OrderOutcome } from "./domain/webhook.js";
export { decideAfterAttempt, DEFAULT_RETRY_DELAYS_MS, defaultRetrySchedule, type RetrySchedule } from "./domain/retry-policy.js";
export { WebhookSender } from "./adapters/webhook-sender.js";
export { DeliveryStore } from "./adapters/delivery-store.js";
export { singleEndpoint, splitSecrets, T2MOBILE_ENDPOINT_ID, type Endpoint, type EndpointDirectory } from "./adapters/endpoints.js";
export { DeliveryEngine, type AttemptReport, type SweepReport } from "./engine.js";
export { createNotificationMetrics } from "./metrics.js";
export { loadNotificationConfig, retryScheduleOf } from "./config.js";
export { webhookRetry } from "./jobs/webhook-retry.js";
