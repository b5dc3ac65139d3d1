#!/usr/bin/env node
// Makes and rotates the mesh's signing keys (MESH_SIGNING_KEYS: a JSON array of
// private JWKs; the first signs, all are published at /_mesh/.well-known/jwks.json).
// Run with --help for the rotation steps.
import { parseArgs } from "node:util";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";

const HELP = `usage: node scripts/gen-signing-key.mjs [command]

  (no command)   print MESH_SIGNING_KEYS holding one new Ed25519 key:
                   node scripts/gen-signing-key.mjs | npx wrangler secret put MESH_SIGNING_KEYS
  --add          read the current MESH_SIGNING_KEYS on stdin, print it with a new key
                 added last (published, not yet signing)
  --promote=KID  read the current value on stdin, print it with KID first (signing)
  --retire=KID   read the current value on stdin, print it without KID
                 (write the '=': a kid may start with '-')
  --kids         read the current value on stdin, print each kid, the signing one first

Rotating without breaking a caller or an origin:
  1. add (Cloudflare never shows a secret again: keep the current value in your own
     secret store, here current.json):
                node scripts/gen-signing-key.mjs --add < current.json > next.json
                npx wrangler secret put MESH_SIGNING_KEYS < next.json
              The new key is published in the JWKS; the old one still signs.
  2. wait until every origin has refetched the JWKS (it is served with max-age=300;
     give verifiers that cache longer their own time), then promote:
                node scripts/gen-signing-key.mjs --promote=NEW_KID < next.json > next2.json
                npx wrangler secret put MESH_SIGNING_KEYS < next2.json
              New x-mesh-identity assertions and service tokens are signed with the new key;
              tokens of the old key still verify.
  3. mint new service tokens (POST /_mesh/api/v1/service-tokens) and hand them out; when
     the old ones have expired (30 days at most), retire the old key:
                node scripts/gen-signing-key.mjs --retire=OLD_KID < next2.json > final.json
                npx wrangler secret put MESH_SIGNING_KEYS < final.json
              Every token of the old key stops verifying: this is also how a leaked
              service token is revoked early.
`;

function fail(message) {
  process.stderr.write(`gen-signing-key: ${message}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      add: { type: "boolean" },
      promote: { type: "string" },
      retire: { type: "string" },
      kids: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }).values;
} catch (err) {
  fail(`${err.message}\n${HELP}`);
}
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

async function newKey() {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  // The kid is the key's RFC 7638 thumbprint, so rotated keys never collide.
  const kid = await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x });
  return { ...jwk, alg: "EdDSA", kid };
}

/**
 * The current keys from stdin: a JSON array of JWKs, a JWKS object, or one JWK (the old MESH_SIGNING_KEY).
 * Read as a stream to its end: a synchronous read of a pipe that has no data yet fails with EAGAIN.
 */
async function current() {
  if (process.stdin.isTTY) fail("pipe the current MESH_SIGNING_KEYS value on stdin");
  let text = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) text += chunk;
  text = text.trim();
  if (text === "") fail("stdin is empty: pipe the current MESH_SIGNING_KEYS value in");
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail("stdin is not JSON: expected the MESH_SIGNING_KEYS value (a JSON array of private JWKs)");
  }
  const keys = Array.isArray(parsed) ? parsed : Array.isArray(parsed?.keys) ? parsed.keys : [parsed];
  for (const [i, k] of keys.entries()) {
    if (typeof k !== "object" || k === null || typeof k.kid !== "string" || typeof k.d !== "string") {
      fail(`key ${i} is not a private JWK with a kid`);
    }
  }
  return keys;
}

function find(keys, kid) {
  const i = keys.findIndex((k) => k.kid === kid);
  if (i === -1) fail(`no key has kid ${kid}; the kids are: ${keys.map((k) => k.kid).join(", ")}`);
  return i;
}

const commands = [args.add, args.promote, args.retire, args.kids].filter((c) => c !== undefined);
if (commands.length > 1) fail("give one of --add, --promote, --retire, --kids");

let out;
if (args.add) out = [...(await current()), await newKey()];
else if (args.promote !== undefined) {
  const keys = await current();
  const i = find(keys, args.promote);
  out = [keys[i], ...keys.filter((_, j) => j !== i)];
} else if (args.retire !== undefined) {
  const keys = await current();
  const i = find(keys, args.retire);
  if (i === 0) fail(`${args.retire} is the signing key: promote another one first`);
  out = keys.filter((_, j) => j !== i);
} else if (args.kids) {
  const keys = await current();
  process.stdout.write(`${keys.map((k, i) => `${k.kid}${i === 0 ? " (signing)" : ""}`).join("\n")}\n`);
  process.exit(0);
} else out = [await newKey()];
process.stdout.write(`${JSON.stringify(out)}\n`);
