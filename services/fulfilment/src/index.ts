export { loadFulfilmentConfig } from "./config.js";
export { prepareOrder, resolveClash } from "./domain/accept-order.js";
export { validateSubmission, submissionFingerprint } from "./domain/submission.js";
export { FAILURE_MESSAGES, type FailureCode } from "./domain/failures.js";
