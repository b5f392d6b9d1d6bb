#!/usr/bin/env node
// `npx t2m`: the launcher npm links at install time (before anything is
// built, so a fresh clone's `npm ci` links it); the CLI is dist/main.js.
try {
  await import("../dist/main.js");
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND" || !String(err.message).includes("dist/main.js")) throw err;
  process.stderr.write("t2m is not built yet: run `npm run build` (or `npx tsc -b services/cli`) first\n");
  process.exitCode = 1;
}
