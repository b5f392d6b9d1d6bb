export { acceptOrder } from "./domain/accept-order.js";
export { fulfilOrder, retryDelayMs } from "./domain/fulfil-order.js";
export { validateSubmission, submissionFingerprint } from "./domain/submission.js";
export { loadFulfilmentConfig } from "./config.js";
