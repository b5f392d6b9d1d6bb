import { defineConfig } from "vitest/config";

// Unit tests sit beside the code (services/*/src/**/*.test.ts) and need no
// servers. Cross-service tests under test/ start their own NATS, FerretDB and
// service processes, so they run one file at a time with longer timeouts.
export default defineConfig({
  resolve: { conditions: ["@t2m/source"] },
  ssr: { resolve: { conditions: ["@t2m/source"] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["services/*/src/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**", "services/*/src/**/*.integration.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["services/*/src/**/*.integration.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**"],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
