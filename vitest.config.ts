import { existsSync, readFileSync } from "node:fs";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { unstable_readConfig } from "wrangler";
import { defineConfig } from "vitest/config";

// Unit and integration tests run inside workerd with the real bindings from
// wrangler.toml; the admin secret below exists only for tests.

// wrangler also loads .dev.vars, which `npm start` writes (MESH_DEV_REQUEST_CF=true, signing keys …), and the
// plugin cannot be told not to. So every name a .dev.vars may set is pinned back to wrangler.toml's value, or to
// "" (unset) when wrangler.toml has none: the tests see the same env before and after a first `npm start`.
const tomlVars = unstable_readConfig({ config: "./wrangler.toml" }).vars as Record<string, unknown>;
const devVarNames = [".dev.vars.example", ".dev.vars"]
  .filter((f) => existsSync(f))
  .flatMap((f) => readFileSync(f, "utf8").match(/^[A-Za-z_][A-Za-z0-9_]*(?=\s*=)/gm) ?? []);
const pinned = Object.fromEntries(devVarNames.map((name) => [name, String(tomlVars[name] ?? "")]));

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ...pinned,
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
