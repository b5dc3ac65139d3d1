#!/usr/bin/env node
// What zero trust costs per request (SPEC §9): the mesh bundled once and run
// on workerd (one process per variant, the e2e tests' options from
// wrangler.toml), over nginx static origins on 127.0.0.1, measured with wrk
// in interleaved rounds so background load falls on every variant alike:
//   - no signing key: no identity at all;
//   - baseline: MESH_SIGNING_KEYS set (every request gets a signed
//     x-mesh-identity), no intentions, no caller token;
//   - zero trust: the same plus MESH_DEFAULT_INTENTION=deny, 100 intentions
//     (the caller's decided by its third permission) and a valid
//     x-mesh-caller service token on every request (the verdict cache path);
//   - zero trust + rate limit: the same plus a per-caller rate limit that is
//     never reached, counted in the isolate (period 10 s), or by the
//     RATE_LIMITER binding (period 60 s; Miniflare's local simulation, whose
//     cost says nothing of Cloudflare's).
// Prints req/s and workerd CPU ms per request (user + system, /proc) of each,
// and the difference to the baseline; first a Node micro-benchmark of
// decide() and CallerVerifier.serviceOf() (bench/lib/policy-micro.mjs).
//
//   npm run bench:policy [-- --smoke] [--rounds 5] [--seconds 3] [--connections 32]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair } from "jose";
import { benchService } from "./lib/admin.mjs";
import { mesh } from "./lib/contestants.mjs";
import { runWrk } from "./lib/load.mjs";
import { startStaticOrigin } from "./lib/peers.mjs";
import { hundredIntentions, policyMicro } from "./lib/policy-micro.mjs";
import { freePort, httpGet, machineLoad, waitForHttp } from "./lib/procs.mjs";
import { median } from "./lib/stats.mjs";
import { bundleMesh, workerdVersion } from "./lib/workerd.mjs";

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    rounds: { type: "string" },
    seconds: { type: "string" },
    connections: { type: "string", default: "32" },
  },
});
const smoke = values.smoke;
const rounds = Math.max(1, Math.min(10, Number(values.rounds ?? (smoke ? 1 : 5))));
const seconds = Math.max(1, Math.min(10, Number(values.seconds ?? (smoke ? 1 : 3))));
const warmS = smoke ? 1 : 2;
const connections = Math.max(1, Math.min(128, Number(values.connections)));
const deadlineS = smoke ? 60 : 240;
const HOST = "pol.bench";

const dir = await mkdtemp(join(tmpdir(), "flaremesh-policy-"));
const stoppers = [];
const stopAll = async () => {
  for (const stop of stoppers.reverse()) await stop().catch(() => {});
  await rm(dir, { recursive: true, force: true });
};
const deadline = setTimeout(async () => {
  process.stderr.write(`bench:policy: still running after ${deadlineS} s; stopping everything\n`);
  await stopAll();
  process.exit(1);
}, deadlineS * 1000);

/** A fresh private signing JWK, as scripts/gen-signing-key.mjs makes one. */
async function signingKeysVar() {
  const { privateKey } = await generateKeyPair("EdDSA", { extractable: true });
  return JSON.stringify([{ ...(await exportJWK(privateKey)), kid: "bench-1" }]);
}

/** Starts one variant's mesh, configures it, checks it answers as intended, and answers a wrk target. */
async function variant(run, origins, { name, keys, intentions, token, rateLimit }) {
  const extraVars = keys ? { MESH_SIGNING_KEYS: keys } : {};
  if (intentions) extraVars.MESH_DEFAULT_INTENTION = "deny";
  const m = await mesh(run, { extraVars });
  stoppers.push(m.stop);
  const service = benchService(HOST, "round_robin");
  // Never reached. A 60 s period is counted by the binding (its unit is 10/60); 10 s only in the isolate.
  if (rateLimit) service.rate_limit = { key: "caller", limit: 1_000_000, period_s: rateLimit === "binding" ? 60 : 10 };
  await m.admin.put("/services/pol", service);
  for (const [i, url] of origins.entries()) await m.admin.put(`/services/pol/origins/o${i + 1}`, { url });
  if (intentions) {
    for (const { source, destination, ...body } of hundredIntentions())
      await m.admin.put(`/intentions/${encodeURIComponent(source)}/${destination}`, body);
  }
  const headers = {};
  if (token)
    headers["x-mesh-caller"] = (
      await m.admin.post("/service-tokens", { service: "billing" }).then((r) => r.json())
    ).token;
  await waitForHttp(`${m.url}/`, { headers: { host: HOST, ...headers } });
  if (intentions) {
    const refused = await httpGet(`${m.url}/`, { headers: { host: HOST } });
    if (refused.status !== 403) throw new Error(`${name}: a request without a token got ${refused.status}, not 403`);
  }
  return { name, url: `${m.url}/`, host: HOST, pids: m.pids, headers };
}

try {
  const load = machineLoad();
  console.log(
    `bench:policy${smoke ? " --smoke" : ""}: workerd ${workerdVersion()}, load ${load.load1} on ${load.cores} cores`,
  );
  const micro = await policyMicro({ dir: join(dir, "micro"), maxMs: smoke ? 300 : 1500 });
  console.log("\nNode micro-benchmark (injected clock, 100 intentions):");
  for (const r of micro) console.log(`  ${fmtNs(r.ns).padStart(10)}  ${r.what}  (${r.ops} calls)`);

  const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
  const origins = ports.map((p) => `http://127.0.0.1:${p}`);
  const origin = await startStaticOrigin({ dir: join(dir, "origin"), ports });
  stoppers.push(() => origin.stop());
  await waitForHttp(`${origins[0]}/`, { proc: origin });
  const run = { dir, bundle: await bundleMesh(join(dir, "v")) };
  const keys = await signingKeysVar();
  const plan = [
    { name: "no signing key", keys: null },
    { name: "baseline (signing key, no intentions, no token)", keys },
    { name: "zero trust (100 intentions, deny default, token)", keys, intentions: true, token: true },
    {
      name: "zero trust + rate limit (per-isolate counter)",
      keys,
      intentions: true,
      token: true,
      rateLimit: "isolate",
    },
    {
      name: "zero trust + rate limit (Miniflare's RATE_LIMITER)",
      keys,
      intentions: true,
      token: true,
      rateLimit: "binding",
    },
  ];
  const variants = [];
  for (const v of plan) variants.push(await variant(run, origins, v));

  for (const v of variants) await runWrk({ url: v.url, host: v.host, headers: v.headers, durationS: warmS });
  const got = new Map(variants.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    const k = r % variants.length;
    for (const v of [...variants.slice(k), ...variants.slice(0, k)]) {
      const res = await runWrk({
        url: v.url,
        host: v.host,
        headers: v.headers,
        durationS: seconds,
        connections,
        pids: v.pids,
      });
      if (res.errors > 0)
        throw new Error(`${v.name}: ${res.errors} errors in a round: ${JSON.stringify(res.error_detail)}`);
      got.get(v.name).push(res);
    }
  }

  const rows = variants.map((v) => {
    const rs = got.get(v.name);
    return { name: v.name, rps: median(rs.map((x) => x.rps)), cpuMs: median(rs.map((x) => x.cpu_s_per_1k)), rs };
  });
  const base = rows[1];
  console.log(`\nworkerd, median of ${rounds} interleaved wrk rounds of ${seconds} s (-c${connections}):`);
  // Each round measures every variant back to back, so the per-round difference cancels slow load drift.
  const ms = (v) => `${v >= 0 ? "+" : ""}${v.toFixed(3)} ms`;
  console.log(
    "| variant | req/s | CPU ms/request | Δ CPU vs baseline (medians) | Δ CPU vs baseline (median of rounds) | rounds: req/s | rounds: CPU ms/request |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | --- | --- |");
  for (const r of rows) {
    const paired = median(r.rs.map((x, i) => x.cpu_s_per_1k - base.rs[i].cpu_s_per_1k));
    const deltas = r === base ? "— | —" : `${ms(r.cpuMs - base.cpuMs)} | ${ms(paired)}`;
    const each = (f) => r.rs.map(f).join(", ");
    console.log(
      `| ${r.name} | ${r.rps} | ${r.cpuMs.toFixed(3)} | ${deltas} | ${each((x) => x.rps)} | ${each((x) => x.cpu_s_per_1k.toFixed(3))} |`,
    );
  }
  const end = machineLoad();
  console.log(`\nload ${end.load1} at the end`);
} finally {
  clearTimeout(deadline);
  await stopAll();
}

function fmtNs(ns) {
  return ns >= 1000 ? `${(ns / 1000).toFixed(1)} µs` : `${Math.round(ns)} ns`;
}
