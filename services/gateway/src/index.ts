export { buildGateway, type GatewayOptions } from "./app.js";
export { problem, ProblemTypes, type Problem } from "./domain/problem.js";
export { loadGatewayConfig } from "./config.js";
export { openApiDocument } from "./api/openapi.js";
export { ROUTES, type RouteSpec } from "./api/spec.js";
export * as apiSchemas from "./api/schemas.js";
export { PartnerDirectory, type Caller } from "./adapters/partner-directory.js";
export { RateLimiter, KvWindowStore, MemoryWindowStore, type WindowStore } from "./adapters/rate-limiter.js";
export { take as takeFromWindow, type RateDecision } from "./domain/rate-window.js";
