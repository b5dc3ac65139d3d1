#!/usr/bin/env node
// `npm start`: runs the mesh locally under wrangler dev on http://127.0.0.1:8787
// with local Durable Object storage in .wrangler/state. On first run it creates
// .dev.vars from .dev.vars.example with a fresh random admin secret.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const devVars = join(root, ".dev.vars");
const PLACEHOLDER = "change-me-to-a-random-string-of-at-least-32-bytes";
const port = process.env.PORT ?? "8787";

if (!existsSync(devVars)) {
  const example = readFileSync(join(root, ".dev.vars.example"), "utf8");
  writeFileSync(devVars, example.replace(PLACEHOLDER, randomBytes(32).toString("base64url")), { mode: 0o600 });
  console.log("Created .dev.vars with a random MESH_ADMIN_SECRET (git-ignored).");
}

const base = `http://127.0.0.1:${port}`;
console.log(`
flaremesh is starting on ${base}

  Get an admin token (valid 1 h):
    export TOKEN=$(npm run -s token -- --scope "mesh:read mesh:write")

  Then try:
    curl -s ${base}/_mesh/healthz
    curl -s -X PUT ${base}/_mesh/api/v1/services/users \\
      -H "authorization: Bearer $TOKEN" -H "content-type: application/json" \\
      -d '{"routes":[{"path_prefix":"/users"}],"health_check":{"path":"/","interval_s":5}}'
    curl -s -X POST ${base}/_mesh/api/v1/services/users/origins \\
      -H "authorization: Bearer $TOKEN" -H "content-type: application/json" \\
      -d '{"url":"http://127.0.0.1:9001"}'
    curl -s ${base}/_mesh/api/v1/catalog -H "authorization: Bearer $TOKEN"
    curl -s ${base}/users/anything          # proxied to an origin

  Dashboard: ${base}/_mesh/ui    Metrics: ${base}/_mesh/metrics
  Cron (health-check watchdog, log shipping) runs every minute; trigger it now with:
    curl -s "${base}/__scheduled?cron=*+*+*+*+*"
`);

const child = spawn(
  "npx",
  ["wrangler", "dev", "--ip", "127.0.0.1", "--port", port, "--test-scheduled", ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false" },
  },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
