export * from "./events.js";
export * from "./local.js";
export * from "./jobs.js";
export * from "./partners.js";
export * from "./order-rules.js";
export * from "./rpc-access.js";
export * from "./nats-access.js";
