// Micro-benchmark of the zero-trust decisions in Node: `decide()` over 100
// intentions and `CallerVerifier.serviceOf()` with the verdict cached and on
// a first verification, plus the per-request x-mesh-identity signature. The
// mesh's own TypeScript is bundled with the esbuild that wrangler ships
// (resolved through wrangler, so no other copy is needed); the clock is
// injected (a fixed `now`). Node's WebCrypto is not workerd's BoringSSL:
// read these as the order of magnitude the workerd run below confirms.
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { exportJWK, generateKeyPair } from "jose";
import { ROOT } from "./workerd.mjs";

const esbuild = createRequire(createRequire(join(ROOT, "package.json")).resolve("wrangler"))("esbuild");

/** The modules under test, bundled into `dir` and imported. */
async function load(dir) {
  await mkdir(dir, { recursive: true });
  const outfile = join(dir, "policy-micro.mjs");
  const src = (p) => JSON.stringify(join(ROOT, "src", p));
  await esbuild.build({
    stdin: {
      contents: [
        `export { decide, indexIntentions } from ${src("policy/intentions.ts")};`,
        `export { CallerVerifier, mintServiceToken } from ${src("auth/caller.ts")};`,
        `export { signingKeys } from ${src("auth/signing-keys.ts")};`,
        `export { createIdentitySigner } from ${src("auth/identity.ts")};`,
      ].join("\n"),
      resolveDir: ROOT,
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    outfile,
    logLevel: "error",
  });
  return import(pathToFileURL(outfile).href);
}

/**
 * Runs `fn` until `maxOps` calls or `maxMs` have passed, whichever comes
 * first, and answers the time per call in ns. A promise is awaited (as the
 * mesh awaits it); a plain result is not, so a sync call pays no microtask.
 */
async function timeIt(fn, { maxOps, maxMs }) {
  const isAsync = fn(0) instanceof Promise;
  for (let i = 0; i < Math.min(1000, maxOps / 10); i++) await fn(i); // warm-up: let V8 optimise
  let sink = 0;
  const start = process.hrtime.bigint();
  const limit = start + BigInt(maxMs) * 1_000_000n;
  let ops = 0;
  while (ops < maxOps) {
    if (isAsync) for (let j = 0; j < 100 && ops < maxOps; j++, ops++) await fn(ops);
    else for (let j = 0; j < 100 && ops < maxOps; j++, ops++) sink += fn(ops) ? 1 : 0;
    if (process.hrtime.bigint() > limit) break;
  }
  const ns = Number(process.hrtime.bigint() - start) / ops;
  return { ns: sink < 0 ? 0 : ns, ops };
}

/** The 100 intentions of the workerd run: billing → pol decides with its third permission. */
export function hundredIntentions() {
  const list = [
    {
      source: "billing",
      destination: "pol",
      action: "deny",
      permissions: [
        { action: "deny", path_prefix: "/admin" },
        { action: "deny", methods: ["DELETE"] },
        { action: "allow", path_prefix: "/", methods: ["GET", "HEAD"] },
      ],
      description: "",
    },
  ];
  for (let i = 0; list.length < 100; i++) {
    const source = i % 3 === 0 ? "*" : `svc-${i}`;
    list.push({ source, destination: `dst-${i}`, action: i % 2 ? "allow" : "deny", permissions: [], description: "" });
  }
  return list;
}

/** The figures (ns per call) for the report, each loop bounded by `maxOps` and `maxMs`. */
export async function policyMicro({ dir, maxOps = 200_000, maxMs = 1500 }) {
  const m = await load(dir);
  const NOW = Date.UTC(2026, 11, 3, 10, 0, 0);
  const index = m.indexIntentions(hundredIntentions(), false);
  const { privateKey } = await generateKeyPair("EdDSA", { extractable: true });
  const env = { MESH_SIGNING_KEYS: JSON.stringify([{ ...(await exportJWK(privateKey)), kid: "bench" }]) };
  const keys = await m.signingKeys(env);
  const { token } = await m.mintServiceToken(keys, "billing", 3600, NOW);
  const cached = new m.CallerVerifier(keys);
  if ((await cached.serviceOf(token, NOW)) !== "billing") throw new Error("the minted token did not verify");
  const signer = m.createIdentitySigner(env);
  const slow = { maxOps: Math.min(maxOps, 5_000), maxMs };
  const rows = [
    ["decide(): exact pair, third permission decides", () => m.decide(index, "billing", "pol", "GET", "/users/7")],
    ["decide(): no exact pair, `* → dst-3`", () => m.decide(index, "svc-9", "dst-3", "GET", "/")],
    ["decide(): nothing matches, the default decides", () => m.decide(index, "nobody", "nowhere", "GET", "/")],
    ["serviceOf(): the token's verdict cached", () => cached.serviceOf(token, NOW), { maxOps, maxMs }],
    ["serviceOf(): first verification (new verifier)", () => new m.CallerVerifier(keys).serviceOf(token, NOW), slow],
    [
      "x-mesh-identity: sign the assertion (every request)",
      (i) => signer.sign({ service: "pol", requestId: `r-${i}`, subject: "billing", now: NOW }),
      slow,
    ],
  ];
  const out = [];
  for (const [what, fn, bounds = { maxOps, maxMs }] of rows) out.push({ what, ...(await timeIt(fn, bounds)) });
  return out;
}
