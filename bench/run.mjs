#!/usr/bin/env node
// flaremesh benchmark and fault harness: the mesh on workerd (no wrangler dev
// proxy), the bare passthrough Worker, nginx and HAProxy, side by side on the
// same origins, in one run on this machine.
//
//   npm run bench                      full run (about 8 minutes), writes bench/results/<date>.json and -latency.svg
//   npm run bench -- --smoke           every scenario for a couple of seconds (CI: checks the harness runs)
//   npm run bench -- --only overhead,control-plane
//   npm run bench -- --out DIR         where the JSON and SVG go (smoke runs write nowhere unless given)
//
// Every process it starts is stopped when it ends (also on Ctrl-C or a
// failure); all traffic goes to 127.0.0.1; every load loop is bounded.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { latencyChart } from "./lib/chart.mjs";
import { setOpenLoopWarmup } from "./lib/load.mjs";
import { machineLoad } from "./lib/procs.mjs";
import { markdown } from "./lib/report.mjs";
import { ROOT, bundleMesh, workerdVersion } from "./lib/workerd.mjs";
import { controlPlane } from "./scenarios/control-plane.mjs";
import { killedOrigin } from "./scenarios/killed-origin.mjs";
import { overhead } from "./scenarios/overhead.mjs";
import { slowOrigin, slowOrigin100x } from "./scenarios/slow-origin.mjs";

const PARAMS = {
  full: {
    deadlineS: 900,
    warmupS: 1,
    overhead: { warmS: 2, peakRounds: 3, peakS: 5, connections: 32, fixedRounds: 2, fixedS: 8, rate: 250 },
    slowOrigin: { rate: 200, baselineS: 8, slowS: 16 },
    killedOrigin: { rate: 200, seconds: 12, latencyMs: 5 },
    controlPlane: {
      rate: 250,
      rpcS: 25,
      probes: 5,
      writesS: 5,
      bigOrigins: 10_000,
      bigConcurrency: 8,
      bigMaxS: 150,
      bigProbeS: 5,
    },
  },
  smoke: {
    deadlineS: 240,
    warmupS: 0.3,
    overhead: { warmS: 1, peakRounds: 1, peakS: 2, connections: 16, fixedRounds: 1, fixedS: 2, rate: 100 },
    slowOrigin: { rate: 100, baselineS: 1, slowS: 2 },
    killedOrigin: { rate: 100, seconds: 2, latencyMs: 5 },
    controlPlane: {
      rate: 100,
      rpcS: 2,
      probes: 1,
      writesS: 1,
      bigOrigins: 200,
      bigConcurrency: 8,
      bigMaxS: 20,
      bigProbeS: 1,
    },
  },
};

const SCENARIOS = {
  overhead: ["overhead", overhead],
  "slow-origin": ["slowOrigin", slowOrigin],
  "slow-origin-100x": ["slowOrigin100x", slowOrigin100x],
  "killed-origin": ["killedOrigin", killedOrigin],
  "control-plane": ["controlPlane", controlPlane],
};

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    only: { type: "string" },
    out: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const mode = values.smoke ? "smoke" : "full";
const params = PARAMS[mode];
const chosen = values.only ? values.only.split(",").map((s) => s.trim()) : Object.keys(SCENARIOS);
for (const name of chosen)
  if (!SCENARIOS[name]) fail(`unknown scenario "${name}"; choose from ${Object.keys(SCENARIOS).join(", ")}`);

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

/** The first line a tool prints about its version (nginx uses stderr; wrk exits 1), or null when it is missing. */
function version(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) return null;
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0] || null;
}

const versions = {
  workerd: workerdVersion(),
  nginx: version("nginx", ["-v"])?.replace("nginx version: ", ""),
  haproxy: version("haproxy", ["-v"])
    ?.replace(/ - https?:\S+/, "")
    .replace("HAProxy version", "HAProxy"),
  wrk: version("wrk", ["-v"])
    ?.replace(/ \[.*$/, "")
    .replace(/ Copyright.*$/, ""),
  node: process.versions.node,
};
const missing = ["nginx", "haproxy", "wrk"].filter((k) => !versions[k]);
if (missing.length)
  fail(
    `${missing.join(", ")} not found: install the Debian packages nginx-light, haproxy and wrk (see docs/PERFORMANCE.md)`,
  );

const log = (line) =>
  process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
const t0 = performance.now();
const deadline = setTimeout(() => {
  process.stderr.write(`bench: still running after ${params.deadlineS} s; stopping everything\n`);
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  process.exit(1);
}, params.deadlineS * 1000);

const dir = await mkdtemp(join(tmpdir(), "flaremesh-bench-"));
const date = new Date().toISOString().slice(0, 10);
const results = {
  date,
  mode,
  machine: { ...pick(machineLoad(), "cores"), load_start: pick(machineLoad(), "load1", "load5") },
  versions,
  params,
  scenarios: {},
};
let failed = false;
try {
  log(`${mode} run: ${chosen.join(", ")}; bundling the Worker`);
  const bundle = await bundleMesh(dir);
  setOpenLoopWarmup(params.warmupS);
  const run = { dir, bundle, params, log };
  for (const name of chosen) {
    const [key, fn] = SCENARIOS[name];
    log(`scenario ${name}`);
    results.scenarios[key] = await fn(run);
  }
} catch (err) {
  failed = true;
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
} finally {
  clearTimeout(deadline);
  if (!values.keep) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
results.machine.load_end = pick(machineLoad(), "load1", "load5");
results.seconds = Math.round((performance.now() - t0) / 1000);
if (failed) process.exit(1);

process.stdout.write(markdown(results));
const outDir = values.out ?? (mode === "full" ? join(ROOT, "bench", "results") : null);
if (outDir) {
  mkdirSync(outDir, { recursive: true });
  const suffix = mode === "full" ? "" : `-${mode}`;
  writeFileSync(join(outDir, `${date}${suffix}.json`), `${JSON.stringify(results, null, 1)}\n`);
  writeFileSync(join(outDir, `${date}${suffix}-latency.svg`), latencyChart(results));
  log(`wrote ${join(outDir, `${date}${suffix}.json`)} and the latency chart`);
}
log(`done in ${results.seconds} s`);

function pick(obj, ...keys) {
  return Object.fromEntries(keys.map((k) => [k, obj[k]]));
}
