import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Unit and integration tests run inside workerd with the real bindings from
// wrangler.toml; the admin secret below exists only for tests.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          MESH_ADMIN_SECRET: "test-secret-0123456789-0123456789-abcdef",
          MESH_ALLOW_PRIVATE_ORIGINS: "false",
        },
        // A second Worker for service-binding origins (`service://ECHO_WORKER/...`): it answers with the URL,
        // method and headers it was sent. Test-only: production config binds no Worker that may not exist.
        serviceBindings: {
          ECHO_WORKER: async (request: Request) =>
            Response.json({ url: request.url, method: request.method, headers: Object.fromEntries(request.headers) }),
        },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**"],
    // A scripted origin on 127.0.0.1 for health checks run from workerd (tests read its port with `inject("originPort")`),
    // and wrangler.toml's [assets] as wrangler reads it (`inject("assetsConfig")`).
    globalSetup: ["./test/helpers/origin-server.ts", "./test/helpers/wrangler-config.ts"],
    testTimeout: 20_000,
  },
});
