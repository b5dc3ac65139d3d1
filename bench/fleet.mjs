#!/usr/bin/env node
// Fleet simulation: many simulated Worker isolates against the mesh's real
// Registry and LogBuffer Durable Objects on workerd (Miniflare, no wrangler
// dev proxy). What it measures is in docs/ARCHITECTURE.md ("Scale").
//
//   npm run bench:fleet                    full run: 10,000 origins, 100 and 1,000 waiting isolates, steady state
//   npm run bench:fleet -- --smoke         the same at a small size, under a minute (CI)
//   npm run bench:fleet -- --method snapshot   force the registry read the isolates use (default: the newest there is)
//   npm run bench:fleet -- --out DIR       where the JSON goes (full runs: bench/results/)
//   npm run bench:fleet -- --root DIR      measure another checkout's Worker (e.g. the commit before a change)
//
// Every process it starts is stopped when it ends; all traffic is on
// 127.0.0.1; every loop is bounded by a count or a deadline.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cpuSeconds, freePort, machineLoad, waitForHttp } from "./lib/procs.mjs";
import { ROOT, bundleMesh, startFleetHost, workerdVersion } from "./lib/workerd.mjs";

const PARAMS = {
  full: {
    deadlineS: 1800,
    services: 100,
    origins: 10_000,
    isolates: [100, 1000],
    waves: 3,
    logs: { isolates: [100, 300, 1000], seconds: 10, lines: 100, shards: [1, 8] },
  },
  smoke: {
    deadlineS: 90,
    services: 10,
    origins: 500,
    isolates: [20, 100],
    waves: 1,
    logs: { isolates: [50], seconds: 3, lines: 100, shards: [1, 8] },
  },
};

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    method: { type: "string" },
    isolates: { type: "string" },
    origins: { type: "string" },
    waves: { type: "string" },
    out: { type: "string" },
    root: { type: "string" },
    only: { type: "string" },
    "log-isolates": { type: "string" },
    "log-seconds": { type: "string" },
  },
});
const mode = values.smoke ? "smoke" : "full";
const params = { ...PARAMS[mode] };
if (values.isolates) params.isolates = values.isolates.split(",").map(Number);
if (values.origins) params.origins = Number(values.origins);
if (values.waves) params.waves = Number(values.waves);
if (values["log-seconds"]) params.logs = { ...params.logs, seconds: Number(values["log-seconds"]) };
if (values["log-isolates"]) params.logs = { ...params.logs, isolates: values["log-isolates"].split(",").map(Number) };
const parts = new Set((values.only ?? "registry,logs").split(","));

/** Ends the run early, successfully (`--only logs`). */
class Done extends Error {}

const t0 = performance.now();
const log = (line) =>
  process.stderr.write(`[fleet ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
const dir = await mkdtemp(join(tmpdir(), "flaremesh-fleet-"));
const deadline = setTimeout(() => {
  process.stderr.write(`bench:fleet: still running after ${params.deadlineS} s; stopping everything\n`);
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
}, params.deadlineS * 1000);

const results = { date: new Date().toISOString(), mode, params, workerd: workerdVersion(), load_start: machineLoad() };
let host;
let failed = false;
try {
  log(`${mode} run; bundling the Worker`);
  const bundle = await bundleMesh(dir, values.root ?? ROOT);
  const port = await freePort();
  host = await startFleetHost({ dir: join(dir, "host"), bundle, port });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/ready`, { proc: host });
  const call = async (path, body) => {
    const res = await post(`${base}${path}`, body);
    const json = JSON.parse(res.body);
    if (res.status !== 200) throw new Error(`${path}: ${json.error ?? res.status}`);
    return json;
  };
  const cpu = () => cpuSeconds(host.measuredPids());
  const method = values.method ?? (await call("/probe", {})).method;
  results.method = method;

  if (parts.has("logs")) {
    results.logs = [];
    for (const shards of params.logs.shards) {
      for (const isolates of params.logs.isolates) {
        const c0 = cpu();
        const run = await call("/logs", { ...params.logs, isolates, shards });
        run.workerd_cpu_s_per_s = Math.round(((cpu() - c0) / run.seconds) * 100) / 100;
        results.logs.push(run);
        log(
          `logs: ${isolates} isolates → ${shards} object(s): ${run.calls_per_s} calls/s (${run.max_calls_per_s_per_object} on the busiest), ` +
            `${run.object_ms_per_call} ms each, latency p50 ${run.latency_ms.p50} / p99 ${run.latency_ms.p99} ms, ${run.errors} errors`,
        );
      }
    }
  }
  if (!parts.has("registry")) throw new Done();

  log(`seeding ${params.services} services with ${params.origins} origins`);
  results.seed = await call("/seed", { services: params.services, origins: params.origins });
  log(`seeded in ${(results.seed.ms / 1000).toFixed(1)} s (version ${results.seed.version})`);

  results.waves = [];
  for (const isolates of params.isolates) {
    for (let w = 0; w < params.waves; w++) {
      const c0 = cpu();
      const wave = await call("/wave", { isolates, method });
      wave.workerd_cpu_ms = Math.round((cpu() - c0) * 1000);
      results.waves.push(wave);
      log(
        `${isolates} isolates (${method}): ${wave.answered} answered, ${wave.bytes_per_isolate} B each, ` +
          `registry ${wave.registry_answer_ms} ms, workerd CPU ${wave.workerd_cpu_ms} ms, ` +
          `staleness p50 ${wave.staleness_ms.p50} / max ${wave.staleness_ms.max} ms`,
      );
      if (wave.answered !== isolates || wave.error_count > 0)
        throw new Error(`wave lost reads: ${JSON.stringify(wave)}`);
      if (wave.quiet.version_moved || wave.quiet.answered > 0)
        throw new Error(`a write no router cares about woke the fleet: ${JSON.stringify(wave.quiet)}`);
    }
  }
} catch (err) {
  if (err instanceof Done) {
    // Only the parts asked for ran.
  } else {
    failed = true;
    process.stderr.write(`bench:fleet: ${err.stack ?? err}\n`);
    if (host) process.stderr.write(`workerd said:\n${host.output().slice(-4000)}\n`);
  }
} finally {
  clearTimeout(deadline);
  await host?.stop();
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
results.load_end = machineLoad();
results.seconds = Math.round((performance.now() - t0) / 1000);
if (failed) process.exit(1);

process.stdout.write(report(results));
const outDir = values.out ?? (mode === "full" ? join(ROOT, "bench", "results") : null);
if (outDir) {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `fleet-${results.date.slice(0, 10)}-${results.method}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 1)}\n`);
  log(`wrote ${file}`);
}
log(`done in ${results.seconds} s`);

/** One POST with node:http and no timeout of its own (a wave at 1,000 isolates may take minutes; the run's deadline bounds it). */
function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", headers: { "content-type": "application/json" }, agent: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode, body: text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

/** The markdown tables of a run. */
function report(r) {
  const lines = [];
  if (r.logs) {
    lines.push(
      `Request logs (${r.mode}): each isolate hands one batch of ${r.params.logs.lines} lines a second to one log-buffer object; workerd ${r.workerd}`,
      "",
      "| isolates | objects | calls/s | busiest object calls/s | object ms per call | isolate latency p50 / p99 ms | errors | workerd CPU s/s |",
      "| -------- | ------- | ------- | ---------------------- | ------------------ | ---------------------------- | ------ | --------------- |",
    );
    for (const l of r.logs)
      lines.push(
        `| ${l.isolates} | ${l.shards} | ${l.calls_per_s} | ${l.max_calls_per_s_per_object} | ${l.object_ms_per_call} | ${l.latency_ms.p50} / ${l.latency_ms.p99} | ${l.errors} | ${l.workerd_cpu_s_per_s} |`,
      );
    lines.push("");
  }
  if (!r.waves) return `${lines.join("\n")}\n`;
  lines.push(
    `Fleet simulation (${r.mode}), ${r.seed.origins} origins in ${r.params.services} services, registry read: ${r.method}; workerd ${r.workerd}; load ${r.load_start.load1} → ${r.load_end.load1}; ${r.seconds} s`,
    "",
    "| waiting isolates | answers (full / delta) | bytes per isolate | bytes per change | registry ms per change | workerd CPU ms per change | staleness p50 / max ms |",
    "| ---------------- | ---------------------- | ----------------- | ---------------- | ---------------------- | ------------------------- | ---------------------- |",
  );
  for (const w of r.waves) {
    lines.push(
      `| ${w.isolates} | ${w.answers.full} / ${w.answers.delta} | ${w.bytes_per_isolate.toLocaleString("en")} | ${w.bytes_total.toLocaleString("en")} | ${w.registry_answer_ms} | ${w.workerd_cpu_ms} | ${w.staleness_ms.p50} / ${w.staleness_ms.max} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}
