#!/usr/bin/env node
// A/B of the mesh's data plane between checkouts: each directory given (a copy
// of this repository with a change, say) is bundled and run on workerd next
// to the bare passthrough Worker, over five nginx static origins, and
// measured with wrk in interleaved rounds so that background load falls on
// every variant alike. Prints the median req/s and CPU seconds per 1,000
// requests of each. With no directory, compares this checkout with itself
// (how much two identical meshes differ tells the noise). With
// --stub-log-buffer the first checkout runs once more with its request-log
// Durable Object stubbed out (bench/count-rpc.js), to show what those writes
// cost when they share the mesh's thread, as they do on workerd here. With
// --rate N it then measures each variant's open-loop latency at N req/s
// (bench/loadgen.mjs, from each request's due time) in interleaved rounds of
// --latency-seconds, and prints the p50 and p99 of the pooled requests.
//
//   npm run bench:compare -- [--rounds 5] [--seconds 4] [--policy round_robin] [--rate 250] [--latency-seconds 6] [--stub-log-buffer] [DIR …]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { configureService } from "./lib/admin.mjs";
import { mesh, passthrough } from "./lib/contestants.mjs";
import { runOpenLoop, runWrk } from "./lib/load.mjs";
import { startStaticOrigin } from "./lib/peers.mjs";
import { freePort, waitForHttp } from "./lib/procs.mjs";
import { median, pool } from "./lib/stats.mjs";
import { ROOT, bundleMesh } from "./lib/workerd.mjs";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "4" },
    connections: { type: "string", default: "32" },
    policy: { type: "string", default: "round_robin" },
    rate: { type: "string", default: "0" },
    "latency-seconds": { type: "string", default: "6" },
    "stub-log-buffer": { type: "boolean", default: false },
  },
});
const rounds = Math.min(20, Number(values.rounds));
const seconds = Math.min(30, Number(values.seconds));
const rate = Math.min(2000, Number(values.rate));
const latencySeconds = Math.min(30, Number(values["latency-seconds"]));
const roots = positionals.length ? positionals.map((p) => resolve(p)) : [ROOT, ROOT];

const dir = await mkdtemp(join(tmpdir(), "flaremesh-compare-"));
const stoppers = [];
try {
  const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
  const origins = ports.map((p) => `http://127.0.0.1:${p}`);
  const origin = await startStaticOrigin({ dir: join(dir, "origin"), ports });
  stoppers.push(() => origin.stop());
  await waitForHttp(`${origins[0]}/`, { proc: origin });

  const variants = [];
  const plan = roots.map((root, i) => ({ name: `#${i + 1} ${root}`, root, opts: {} }));
  if (values["stub-log-buffer"])
    plan.push({
      name: `#1 with the log buffer stubbed`,
      root: roots[0],
      opts: { countRpc: true, extraVars: { BENCH_STUB_LOG_BUFFER: "true" } },
    });
  for (const [i, v] of plan.entries()) {
    const vdir = join(dir, `v${i}`);
    const bundle = await bundleMesh(vdir, v.root);
    const m = await mesh({ dir: vdir, bundle }, v.opts);
    stoppers.push(m.stop);
    await configureService(m.admin, "cmp", "cmp.bench", values.policy, origins);
    variants.push({ name: v.name, url: `${m.url}/`, host: "cmp.bench", pids: m.pids, bundle });
  }
  const pt = await passthrough({ dir, bundle: variants[0].bundle }, origins);
  stoppers.push(pt.stop);
  variants.push({ name: "workerd passthrough", url: pt.url, pids: pt.pids });

  for (const v of variants) await runWrk({ url: v.url, host: v.host, durationS: 2 });
  const got = new Map(variants.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    const k = r % variants.length;
    for (const v of [...variants.slice(k), ...variants.slice(0, k)]) {
      got.get(v.name).push(
        await runWrk({
          url: v.url,
          host: v.host,
          durationS: seconds,
          connections: Number(values.connections),
          pids: v.pids,
        }),
      );
    }
  }
  const latency = new Map(variants.map((v) => [v.name, []]));
  if (rate > 0) {
    for (let r = 0; r < rounds; r++) {
      const k = r % variants.length;
      for (const v of [...variants.slice(k), ...variants.slice(0, k)]) {
        const run = await runOpenLoop({ url: v.url, host: v.host, rate, durationS: latencySeconds, pids: v.pids });
        latency.get(v.name).push(run);
      }
    }
  }
  console.log(`median of ${rounds} interleaved wrk rounds of ${seconds} s (-c${values.connections}):`);
  for (const v of variants) {
    const rs = got.get(v.name);
    const rps = median(rs.map((x) => x.rps));
    const cpu = median(rs.map((x) => x.cpu_s_per_1k));
    console.log(
      `${String(rps).padStart(6)} req/s  ${cpu.toFixed(3)} CPU s/1k req  [${rs.map((x) => x.rps).join(", ")}]  ${v.name}`,
    );
  }
  if (rate > 0) {
    console.log(`open loop at ${rate} req/s, ${rounds} interleaved rounds of ${latencySeconds} s, pooled (ms):`);
    for (const v of variants) {
      const p = pool(latency.get(v.name), 1000);
      const { p50, p90, p99 } = p.latency_ms;
      console.log(`  p50 ${p50}  p90 ${p90}  p99 ${p99}  errors ${p.error_count}  ${v.name}`);
    }
  }
} finally {
  for (const stop of stoppers.reverse()) await stop();
  await rm(dir, { recursive: true, force: true });
}
