import { configDefaults, defineConfig } from "vitest/config";

/**
 * The end-to-end files spend their time waiting for the processes they start (Prometheus, VictoriaMetrics,
 * Promregator, exporters), not on the CPU, and each uses its own free ports and temporary directories: they run
 * after the other files, E2E_WORKERS at a time, even where one worker per core would run them one by one.
 */
const E2E = "test/e2e/**";
const E2E_WORKERS = 2;

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, E2E] },
      },
      {
        // The scrape tests again, with the proxy answering on node:http instead of the socket-level path.
        extends: true,
        test: {
          name: "scrape via node:http",
          include: ["test/scrape/**/*.test.ts"],
          env: { PROMREGATOR_TEST_SCRAPE_SERVER: "node-http" },
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: [`${E2E}/*.test.ts`],
          maxWorkers: E2E_WORKERS,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
