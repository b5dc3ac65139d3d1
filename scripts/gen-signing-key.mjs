#!/usr/bin/env node
// Prints a fresh Ed25519 private JWK for MESH_SIGNING_KEY, e.g.
//   node scripts/gen-signing-key.mjs | npx wrangler secret put MESH_SIGNING_KEY
// The kid is the key's RFC 7638 thumbprint, so rotated keys never collide.
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";

const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
const jwk = await exportJWK(privateKey);
const kid = await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x });
process.stdout.write(`${JSON.stringify({ ...jwk, alg: "EdDSA", kid })}\n`);
