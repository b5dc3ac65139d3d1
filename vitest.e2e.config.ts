import { defineConfig } from "vitest/config";

// End-to-end tests: plain Node. Each file starts the real Worker under
// `wrangler dev` and its own origin servers, so files run one at a time.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
