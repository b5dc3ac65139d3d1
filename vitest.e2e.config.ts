import { defineConfig } from "vitest/config";

// End-to-end tests: plain Node. The Worker is bundled once (globalSetup) and
// each file runs it in-process under Miniflare against its own origin
// servers, so files share nothing and two run at a time (the machine's two
// cores; the health tests' timing figures stay well inside their bounds).
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/e2e/harness/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    maxWorkers: 2,
  },
});
