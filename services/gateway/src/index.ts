export { buildGateway, type GatewayOptions } from "./app.js";
export { problem, ProblemTypes, type Problem } from "./domain/problem.js";
export { loadGatewayConfig } from "./config.js";
