import { defineConfig } from "vitest/config";

// End-to-end tests: plain Node. The Worker is bundled once (globalSetup) and
// each file runs it in-process under Miniflare against its own origin
// servers. Files still run one at a time: several have timing assertions
// (health-check detection, lease expiry) that two cores shared with other
// files' Workers would make flaky.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/e2e/harness/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
