export * from "./events.js";
export * from "./local.js";
