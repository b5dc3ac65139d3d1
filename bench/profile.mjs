#!/usr/bin/env node
// CPU profile of the mesh's data plane under load: the mesh on workerd with
// its V8 inspector on 127.0.0.1, five nginx static origins, wrk for a bounded
// time, V8's sampling profiler through the inspector protocol. Prints the
// functions with the most self time and the src/ functions with the most
// total time, mapped back to TypeScript through the bundle's source map, and
// saves the .cpuprofile (open it in Chrome DevTools) in --out. With
// --passthrough it profiles the bare passthrough Worker instead, for
// comparison. For A/B figures use bench/compare.mjs. With --heap it then
// runs a fixed rate (--rate req/s, --seconds, after 1 s of warm-up at that
// rate) and prints the bytes allocated per request, two ways: from the
// isolate's used heap (Runtime.getHeapUsage) and from V8's sampling heap
// profiler, which also names the functions that allocate the most. With
// --survivors that profile keeps only what no collection has freed by the
// end (what outlives the young generation), not every allocation.
//
//   npm run bench:profile -- [--seconds 8] [--policy round_robin] [--out DIR] [--root CHECKOUT] [--passthrough] [--heap [--survivors]] [--rate 250]
import { writeFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { SourceMap } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { configureService } from "./lib/admin.mjs";
import { inspectIsolate } from "./lib/cdp.mjs";
import { mesh, passthrough } from "./lib/contestants.mjs";
import { runOpenLoop, runWrk } from "./lib/load.mjs";
import { startStaticOrigin } from "./lib/peers.mjs";
import { freePort, waitForHttp } from "./lib/procs.mjs";
import { bundleMesh } from "./lib/workerd.mjs";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "8" },
    policy: { type: "string", default: "round_robin" },
    connections: { type: "string", default: "32" },
    top: { type: "string", default: "25" },
    passthrough: { type: "boolean", default: false },
    heap: { type: "boolean", default: false },
    survivors: { type: "boolean", default: false },
    rate: { type: "string", default: "250" },
    root: { type: "string" },
    out: { type: "string" },
  },
});
const seconds = Math.min(60, Number(values.seconds));
const top = Number(values.top);

const dir = await mkdtemp(join(tmpdir(), "flaremesh-profile-"));
const stoppers = [];
try {
  const bundle = await bundleMesh(dir, values.root ? resolve(values.root) : undefined);
  const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
  const origins = ports.map((p) => `http://127.0.0.1:${p}`);
  const origin = await startStaticOrigin({ dir: join(dir, "origin"), ports });
  stoppers.push(() => origin.stop());
  await waitForHttp(`${origins[0]}/`, { proc: origin });
  const inspectorPort = await freePort();
  let m;
  if (values.passthrough) {
    const pt = await passthrough({ dir, bundle }, origins, { inspectorPort });
    m = { ...pt, url: pt.url.slice(0, -1) };
  } else {
    m = await mesh({ dir, bundle }, { inspectorPort });
    await configureService(m.admin, "prof", "prof.bench", values.policy, origins);
  }
  stoppers.push(m.stop);
  const url = `${m.url}/`;
  await runWrk({ url, host: "prof.bench", durationS: 2 });

  const cdp = await inspectIsolate(inspectorPort);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  const load = await runWrk({
    url,
    host: "prof.bench",
    durationS: seconds,
    connections: Number(values.connections),
    pids: m.pids,
  });
  const { profile } = await cdp.send("Profiler.stop");
  const rate = Number(values.rate);
  const heap = values.heap
    ? await heapPerRequest(cdp, values.survivors, () =>
        runOpenLoop({ url, host: "prof.bench", rate, durationS: seconds, warmupS: 1, raw: false }),
      )
    : null;
  cdp.close();

  const map = new SourceMap(JSON.parse(await readFile(`${bundle.modules[0].path}.map`, "utf8")));
  const where = locator(map, bundle.modules[0].name);
  const report = analyse(profile, where);
  console.log(
    `${load.rps} req/s under the profiler, ${load.cpu_s_per_1k} CPU s per 1,000 requests (whole workerd process)\n`,
  );
  console.log(`Self time (share of samples in the isolate's JS thread):`);
  for (const r of report.self.slice(0, top)) console.log(`${pct(r.share)}  ${r.name}  ${r.where}`);
  console.log(`\nTotal time of functions in src/ and durable-objects/ (with everything they call):`);
  for (const r of report.total.slice(0, top)) console.log(`${pct(r.share)}  ${r.name}  ${r.where}`);
  const pauses = gcPauses(profile);
  console.log(
    `\nGarbage collection: ${pauses.totalMs} ms in ${seconds} s; longest pauses (ms): ${pauses.longest.join(", ")}`,
  );
  if (heap) {
    const requests = rate * (1 + seconds);
    const sampled = allocations(heap.profile, where);
    const kib = (bytes) => (bytes / requests / 1024).toFixed(2);
    console.log(`\nHeap at ${rate} req/s for 1 + ${seconds} s (${heap.errors} failed requests):`);
    console.log(
      `  used heap: ${kib(heap.bytesPerS * (1 + seconds))} KiB allocated per request (${(heap.bytesPerS / 2 ** 20).toFixed(2)} MiB/s between collections, ${heap.drops} drops); ranged ${(heap.minUsed / 2 ** 20).toFixed(1)}–${(heap.maxUsed / 2 ** 20).toFixed(1)} MiB`,
    );
    console.log(
      `  sampling heap profiler: ${kib(sampled.total)} KiB ${values.survivors ? "still live (no collection freed it)" : "allocated"} per request; by function (bytes per request):`,
    );
    for (const r of sampled.rows.slice(0, top))
      console.log(`${String(Math.round(r.bytes / requests)).padStart(7)}  ${r.name}  ${r.where}`);
  }
  if (values.out) {
    const file = join(values.out, values.passthrough ? "passthrough.cpuprofile" : `mesh-${values.policy}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.log(`\nprofile saved: ${file}`);
  }
} finally {
  for (const stop of stoppers.reverse()) await stop();
  await rm(dir, { recursive: true, force: true });
}

/** Runs of consecutive "(garbage collector)" samples: how long the isolate stopped for GC at a time. */
function gcPauses(profile) {
  const gc = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(garbage collector)").map((n) => n.id));
  const runs = [];
  let run = 0;
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    if (gc.has(id)) {
      run += dt;
      total += dt;
    } else if (run > 0) {
      runs.push(run);
      run = 0;
    }
  });
  if (run > 0) runs.push(run);
  runs.sort((a, b) => b - a);
  return { totalMs: Math.round(total / 1000), longest: runs.slice(0, 5).map((us) => Math.round(us / 1000)) };
}

/**
 * What the isolate allocates while `load` runs. The used heap
 * (Runtime.getHeapUsage, read every 100 ms) grows by what is allocated and
 * drops at each collection: `bytesPerS` is its growth rate over the intervals
 * without a drop. `profile` is V8's sampling heap profile of the same time,
 * objects already collected included.
 */
async function heapPerRequest(cdp, survivorsOnly, load) {
  await cdp.send("HeapProfiler.enable");
  await cdp.send("HeapProfiler.startSampling", {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: !survivorsOnly,
    includeObjectsCollectedByMinorGC: !survivorsOnly,
  });
  const samples = [];
  let running = true;
  const sampling = (async () => {
    while (running) {
      const { usedSize } = await cdp.send("Runtime.getHeapUsage");
      samples.push([performance.now(), usedSize]);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const result = await load();
  running = false;
  await sampling;
  const { profile } = await cdp.send("HeapProfiler.stopSampling");
  let grown = 0;
  let growingMs = 0;
  let drops = 0;
  for (let i = 1; i < samples.length; i++) {
    const delta = samples[i][1] - samples[i - 1][1];
    if (delta < 0) drops++;
    else {
      grown += delta;
      growingMs += samples[i][0] - samples[i - 1][0];
    }
  }
  const used = samples.map(([, size]) => size);
  return {
    bytesPerS: growingMs > 0 ? (grown * 1000) / growingMs : 0,
    drops,
    minUsed: Math.min(...used),
    maxUsed: Math.max(...used),
    errors: result.error_count,
    profile,
  };
}

/** Bytes allocated per function (with the objects it allocated itself, not its callees'), most first. */
function allocations(profile, where) {
  const bytes = new Map();
  let total = 0;
  const visit = (node) => {
    const key = `${node.callFrame.functionName || "(anonymous)"}\t${where(node.callFrame)}`;
    bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) visit(child);
  };
  visit(profile.head);
  const rows = [...bytes].map(([k, v]) => {
    const [name, w] = k.split("\t");
    return { name, where: w, bytes: v };
  });
  return { total, rows: rows.sort((a, b) => b.bytes - a.bytes) };
}

function pct(v) {
  return `${(v * 100).toFixed(1).padStart(5)}%`;
}

/** Where a profile's call frame is in the original sources (`src/…:line`), through the bundle's source map. */
function locator(map, bundleName) {
  return (cf) => {
    if (!cf.url.endsWith(bundleName)) return cf.url ? cf.url.split("/").pop() : "";
    const e = map.findEntry(cf.lineNumber, cf.columnNumber);
    if (!e?.originalSource) return "";
    const src = e.originalSource.replace(/^.*?\/(src|durable-objects|node_modules)\//, "$1/");
    return `${src}:${(e.originalLine ?? e.originalLineNumber) + 1}`;
  };
}

/** Self and total sample shares per function, located in the original sources. */
function analyse(profile, where) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n) => {
    const cf = n.callFrame;
    return `${cf.functionName || "(anonymous)"}\t${where(cf)}`;
  };
  const self = new Map();
  const total = new Map();
  const counted = profile.samples.length;
  for (const id of profile.samples) {
    const node = byId.get(id);
    const k = keyOf(node);
    self.set(k, (self.get(k) ?? 0) + 1);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const key = keyOf(byId.get(cur));
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + 1);
    }
  }
  const rows = (m, filter = () => true) =>
    [...m]
      .map(([k, v]) => {
        const [name, w] = k.split("\t");
        return { name, where: w, share: v / counted };
      })
      .filter(filter)
      .sort((a, b) => b.share - a.share);
  return { self: rows(self), total: rows(total, (r) => /^(src|durable-objects)\//.test(r.where)) };
}
