#!/usr/bin/env node
// `npm start`: runs the mesh locally under wrangler dev on http://127.0.0.1:8787
// with local Durable Object storage in .wrangler/state. On first run it creates
// .dev.vars from .dev.vars.example with a fresh random admin secret. Arguments
// after `--` go to wrangler dev (e.g. `npm start -- --persist-to /tmp/mesh`).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const devVars = join(root, ".dev.vars");
const PLACEHOLDER = "change-me-to-a-random-string-of-at-least-32-bytes";
const port = process.env.PORT ?? "8787";
const extra = process.argv.slice(2);
/** How long wrangler gets to shut workerd down after a signal before the whole group is killed. */
const STOP_GRACE_MS = 10_000;

// With --env-file the caller brings its own settings; .dev.vars is not needed.
if (!existsSync(devVars) && !extra.some((a) => a.startsWith("--env-file"))) {
  const example = readFileSync(join(root, ".dev.vars.example"), "utf8");
  // A signing key too, so x-mesh-identity and service tokens work locally (the same as gen-signing-key.mjs makes).
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x });
  const keys = JSON.stringify([{ ...jwk, alg: "EdDSA", kid }]);
  const text = `${example.replace(PLACEHOLDER, randomBytes(32).toString("base64url"))}MESH_SIGNING_KEYS='${keys}'\n`;
  writeFileSync(devVars, text, { mode: 0o600 });
  console.log("Created .dev.vars with a random MESH_ADMIN_SECRET and MESH_SIGNING_KEYS (git-ignored).");
}

const base = `http://127.0.0.1:${port}`;
const dashboard = await dashboardLink(base);
console.log(`
flaremesh is starting on ${base}

  Get an admin token (valid 1 h):
    export TOKEN=$(npm run -s token -- --scope "mesh:read mesh:write")

  Then try (two origins: see the README's five-minute tour):
    curl -s ${base}/_mesh/healthz
    curl -s -X PUT ${base}/_mesh/api/v1/services/files \\
      -H "authorization: Bearer $TOKEN" -H "content-type: application/json" \\
      -d '{"routes":[{"path_prefix":"/files"}],"strip_prefix":true,"health_check":{"path":"/","interval_s":2}}'
    curl -s -X POST ${base}/_mesh/api/v1/services/files/origins \\
      -H "authorization: Bearer $TOKEN" -H "content-type: application/json" \\
      -d '{"url":"http://127.0.0.1:9001"}'
    curl -s ${base}/_mesh/api/v1/catalog -H "authorization: Bearer $TOKEN"
    curl -si ${base}/files/ | grep x-mesh      # proxied to an origin

  Dashboard (a read-only token valid 1 h, in the link's fragment, which never reaches a server):
    ${dashboard}
  Metrics: ${base}/_mesh/metrics
  Cron (health-check watchdog, log shipping) runs every minute; trigger it now with:
    curl -s "${base}/__scheduled?cron=*+*+*+*+*"
`);

/** The env file wrangler dev reads: `--env-file PATH` (or `--env-file=PATH`) when given, else .dev.vars. */
function envFile() {
  const i = extra.findIndex((a) => a === "--env-file" || a.startsWith("--env-file="));
  if (i === -1) return devVars;
  return extra[i].includes("=") ? extra[i].slice("--env-file=".length) : extra[i + 1];
}

/** `/_mesh/ui#token=…` with a mesh:read token from the env file's secret, or the bare page without one. */
async function dashboardLink(origin) {
  let secret;
  try {
    const m = /^\s*MESH_ADMIN_SECRET\s*=\s*["']?([^"'\r\n]+?)["']?\s*$/m.exec(readFileSync(envFile(), "utf8"));
    secret = m?.[1];
  } catch {
    secret = undefined;
  }
  if (!secret || secret.length < 32) return `${origin}/_mesh/ui   (token: npm run -s token -- --scope mesh:read)`;
  const now = Math.floor(Date.now() / 1000);
  const jwt = await new SignJWT({ scope: "mesh:read" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject("npm-start")
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(new TextEncoder().encode(secret));
  return `${origin}/_mesh/ui#token=${jwt}`;
}

// wrangler runs in its own process group so that a signal reaches it and the workerd it
// starts alike (`npx` and wrangler do not pass SIGTERM on to workerd). A background group
// must not read the terminal, so wrangler's interactive hotkeys are off: Ctrl-C still stops it.
const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
const args = ["dev", "--ip", "127.0.0.1", "--port", port, "--test-scheduled"];
if (!extra.some((a) => a.startsWith("--show-interactive-dev-session")))
  args.push("--show-interactive-dev-session=false");
const child = spawn(process.execPath, [wrangler, ...args, ...extra], {
  cwd: root,
  stdio: ["ignore", "inherit", "inherit"],
  detached: true,
  env: {
    ...process.env,
    WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false",
    // Locally `request.cf` is a placeholder either way (colo/country in local logs are not real); not
    // fetching it from workers.cloudflare.com saves a DNS error on every start of an offline machine.
    CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
  },
});

function signalGroup(signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

let stopping = false;
function stop(signal) {
  if (stopping) {
    signalGroup("SIGKILL");
    return;
  }
  stopping = true;
  signalGroup(signal);
  setTimeout(() => signalGroup("SIGKILL"), STOP_GRACE_MS).unref();
}
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGHUP", () => stop("SIGTERM"));
// `npm start` runs this script under `sh -c`, and a SIGTERM sent to npm ends npm and sh but is not
// passed on to us: when our parent goes away, stop as if we had been sent SIGTERM ourselves.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop("SIGTERM");
}, 250).unref();
child.on("exit", (code, signal) => {
  // Whatever wrangler left behind in its group goes with it.
  signalGroup("SIGKILL");
  process.exit(stopping ? 0 : (code ?? (signal ? 1 : 0)));
});
