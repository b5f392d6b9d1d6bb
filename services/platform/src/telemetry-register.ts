// Preloaded with `node --import @t2m/platform/telemetry-register`, before any
// service code, so the instrumented modules are patched when first imported.
import { register } from "node:module";
import { basename, dirname } from "node:path";
import { startTelemetry } from "./telemetry.js";

// ESM imports are only visible to instrumentations through this loader hook.
register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);

// services/<name>/dist/main.js (or a job, services/<name>/dist/jobs/<job>.js) -> <name>,
// unless OTEL_SERVICE_NAME says otherwise.
const entry = process.argv[1] ?? "service";
const serviceName = /services[\\/]([^\\/]+)[\\/]dist[\\/]/.exec(entry)?.[1] ?? basename(dirname(dirname(entry)));

const sdk = startTelemetry({ serviceName });
process.once("beforeExit", () => void sdk.shutdown());
