#!/usr/bin/env node
// Mints an HS256 admin token for local use and prints only the token, so
//   TOKEN=$(npm run -s token -- --scope "mesh:read mesh:write")
// works. The key is MESH_ADMIN_SECRET from .dev.vars (or the environment,
// which wins); MESH_ADMIN_ISSUER / MESH_ADMIN_AUDIENCE are honoured too.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";

const USAGE = `usage: npm run -s token -- [--scope "mesh:read mesh:write"] [--svc NAME] [--ttl SECONDS] [--sub NAME] [--iss ISSUER] [--aud AUDIENCE]

  --scope  space-separated scopes: mesh:read, mesh:write, mesh:heartbeat (default "mesh:read mesh:write")
  --svc    with mesh:heartbeat, the only service the token may heartbeat for
  --ttl    lifetime in seconds (default 3600)
  --sub    subject (default "dev")
  --iss    issuer (default MESH_ADMIN_ISSUER, if set)
  --aud    audience (default MESH_ADMIN_AUDIENCE, if set)`;

function fail(message) {
  process.stderr.write(`token: ${message}\n`);
  process.exit(1);
}

/** KEY=VALUE lines; blank lines and # comments ignored; surrounding quotes removed. */
function readDevVars(path) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const vars = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith("#")) continue;
    vars[m[1]] = m[2].replace(/^(["'])(.*)\1$/, "$2");
  }
  return vars;
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      scope: { type: "string", default: "mesh:read mesh:write" },
      svc: { type: "string" },
      ttl: { type: "string", default: "3600" },
      sub: { type: "string", default: "dev" },
      iss: { type: "string" },
      aud: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (err) {
  fail(`${err.message}\n${USAGE}`);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const SCOPES = ["mesh:read", "mesh:write", "mesh:heartbeat"];
const scopes = args.scope.split(" ").filter((s) => s !== "");
const unknown = scopes.filter((s) => !SCOPES.includes(s));
if (unknown.length > 0) {
  fail(`unknown scope ${unknown.map((s) => `"${s}"`).join(", ")}: the mesh grants only ${SCOPES.join(", ")}`);
}
if (scopes.length === 0) fail(`--scope is empty: give one or more of ${SCOPES.join(", ")}`);

const ttl = Number(args.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) fail(`--ttl must be a positive number of seconds, not "${args.ttl}"`);

if (scopes.includes("mesh:heartbeat") && !scopes.includes("mesh:write") && !args.svc) {
  fail("a mesh:heartbeat token must name its service: add --svc NAME (the mesh refuses one without it)");
}

const devVarsPath = join(dirname(fileURLToPath(import.meta.url)), "..", ".dev.vars");
const devVars = readDevVars(devVarsPath) ?? {};
const pick = (name) => process.env[name]?.trim() || devVars[name]?.trim() || undefined;

const secret = pick("MESH_ADMIN_SECRET");
if (!secret) {
  fail(
    `no MESH_ADMIN_SECRET: create .dev.vars (run \`npm start\` once, or copy .dev.vars.example) or set MESH_ADMIN_SECRET in the environment`,
  );
}
const maxTtl = Number(pick("MESH_ADMIN_MAX_TTL_S") ?? 86400);
if (Number.isInteger(maxTtl) && maxTtl > 0 && ttl > maxTtl) {
  fail(`--ttl ${ttl} is longer than MESH_ADMIN_MAX_TTL_S (${maxTtl} s): the mesh would refuse the token`);
}
const key = new TextEncoder().encode(secret);
if (key.length < 32) fail(`MESH_ADMIN_SECRET is ${key.length} bytes; the mesh requires at least 32`);
if (pick("MESH_ADMIN_JWKS_URL")) {
  process.stderr.write(
    "token: warning: MESH_ADMIN_JWKS_URL is set, so the mesh will refuse HS256 tokens like this one\n",
  );
}

const jwt = new SignJWT({ scope: scopes.join(" "), ...(args.svc ? { svc: args.svc } : {}) })
  .setProtectedHeader({ alg: "HS256", typ: "JWT" })
  .setSubject(args.sub)
  .setIssuedAt()
  .setExpirationTime(Math.floor(Date.now() / 1000) + ttl);
const iss = args.iss ?? pick("MESH_ADMIN_ISSUER");
const aud = args.aud ?? pick("MESH_ADMIN_AUDIENCE");
if (iss) jwt.setIssuer(iss);
if (aud) jwt.setAudience(aud);

process.stdout.write(`${await jwt.sign(key)}\n`);
