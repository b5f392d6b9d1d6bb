// Preloaded with `node --import @t2m/platform/telemetry-register`, before any
// service code, so the instrumented modules are patched when first imported.
//
// No ESM loader hook (import-in-the-middle): nothing the platform traces needs
// it. Incoming HTTP is traced by patching http.Server's prototype (which ESM
// importers share), fetch through undici's diagnostics channels, and mongodb
// is CommonJS (patched on require); Connect calls and NATS messages are traced
// by the platform's own interceptor and EventBus. The hook cost each process
// about 60 MB of memory and slowed its start (the e2e trace test covers every
// hop without it).
import { basename, dirname } from "node:path";
import { startTelemetry } from "./telemetry.js";

// services/<name>/dist/main.js (or a job, services/<name>/dist/jobs/<job>.js) -> <name>,
// unless OTEL_SERVICE_NAME says otherwise.
const entry = process.argv[1] ?? "service";
const serviceName = /services[\\/]([^\\/]+)[\\/]dist[\\/]/.exec(entry)?.[1] ?? basename(dirname(dirname(entry)));

const sdk = startTelemetry({ serviceName });
process.once("beforeExit", () => void sdk.shutdown());
