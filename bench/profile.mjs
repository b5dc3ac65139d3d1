#!/usr/bin/env node
// CPU profile of the mesh's data plane under load: the mesh on workerd with
// its V8 inspector on 127.0.0.1, five nginx static origins, wrk for a bounded
// time, V8's sampling profiler through the inspector protocol. Prints the
// functions with the most self time and the src/ functions with the most
// total time, mapped back to TypeScript through the bundle's source map, and
// saves the .cpuprofile (open it in Chrome DevTools) in --out.
// Then an A/B in interleaved rounds: the mesh as it is, the mesh behind the
// bench's counting wrapper, the same with the request-log Durable Object
// stubbed out (bench/count-rpc.js), and the bare passthrough Worker, to show
// what the log pipeline costs on this one-thread runtime.
//
//   npm run bench:profile -- [--seconds 8] [--policy round_robin] [--rounds 3] [--out DIR] [--root CHECKOUT] [--passthrough]
import { writeFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { SourceMap } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { configureService } from "./lib/admin.mjs";
import { mesh, passthrough } from "./lib/contestants.mjs";
import { runWrk } from "./lib/load.mjs";
import { startStaticOrigin } from "./lib/peers.mjs";
import { freePort, waitForHttp } from "./lib/procs.mjs";
import { median } from "./lib/stats.mjs";
import { bundleMesh } from "./lib/workerd.mjs";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "8" },
    policy: { type: "string", default: "round_robin" },
    connections: { type: "string", default: "32" },
    top: { type: "string", default: "25" },
    rounds: { type: "string", default: "3" },
    passthrough: { type: "boolean", default: false },
    root: { type: "string" },
    out: { type: "string" },
  },
});
const seconds = Math.min(60, Number(values.seconds));
const top = Number(values.top);
const rounds = Math.min(10, Number(values.rounds));

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

  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  const cdp = await connect(targets[0].webSocketDebuggerUrl);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  const load = await runWrk({ url, host: "prof.bench", durationS: seconds, connections: Number(values.connections), pids: m.pids });
  const { profile } = await cdp.send("Profiler.stop");
  cdp.close();

  const map = new SourceMap(JSON.parse(await readFile(`${bundle.modules[0].path}.map`, "utf8")));
  const report = analyse(profile, map, bundle.modules[0].name);
  console.log(`${load.rps} req/s under the profiler, ${load.cpu_s_per_1k} CPU s per 1,000 requests (whole workerd process)\n`);
  console.log(`Self time (share of samples in the isolate's JS thread):`);
  for (const r of report.self.slice(0, top)) console.log(`${pct(r.share)}  ${r.name}  ${r.where}`);
  console.log(`\nTotal time of functions in src/ and durable-objects/ (with everything they call):`);
  for (const r of report.total.slice(0, top)) console.log(`${pct(r.share)}  ${r.name}  ${r.where}`);
  if (values.out) {
    const file = join(values.out, values.passthrough ? "passthrough.cpuprofile" : `mesh-${values.policy}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.log(`\nprofile saved: ${file}`);
  }
  await m.stop();
  if (rounds > 0) {
    // A/B: interleaved rounds of wrk against four variants.
    const run = { dir, bundle };
    const variants = [];
    for (const [name, opts] of [
      ["mesh", {}],
      ["mesh + counting wrapper", { countRpc: true }],
      ["mesh + counting wrapper, log buffer stubbed", { countRpc: true, extraVars: { BENCH_STUB_LOG_BUFFER: "true" } }],
    ]) {
      const v = await mesh(run, opts);
      stoppers.push(v.stop);
      await configureService(v.admin, "prof", "prof.bench", values.policy, origins);
      variants.push({ name, url: `${v.url}/`, host: "prof.bench", pids: v.pids });
    }
    const pt = await passthrough(run, origins);
    stoppers.push(pt.stop);
    variants.push({ name: "workerd passthrough", url: pt.url, pids: pt.pids });
    const got = new Map(variants.map((v) => [v.name, []]));
    for (const v of variants) await runWrk({ url: v.url, host: v.host, durationS: 1 });
    for (let r = 0; r < rounds; r++) {
      for (const v of [...variants.slice(r % variants.length), ...variants.slice(0, r % variants.length)]) {
        got.get(v.name).push(await runWrk({ url: v.url, host: v.host, durationS: 4, connections: Number(values.connections), pids: v.pids }));
      }
    }
    console.log(`\nA/B, median of ${rounds} interleaved wrk rounds of 4 s:`);
    for (const v of variants) {
      const rs = got.get(v.name);
      console.log(`${String(median(rs.map((x) => x.rps))).padStart(6)} req/s  ${median(rs.map((x) => x.cpu_s_per_1k)).toFixed(3)} CPU s/1k req  ${v.name}`);
    }
  }
} finally {
  for (const stop of stoppers.reverse()) await stop();
  await rm(dir, { recursive: true, force: true });
}

function pct(v) {
  return `${(v * 100).toFixed(1).padStart(5)}%`;
}

/** Self and total sample shares per function, located in the original sources. */
function analyse(profile, map, bundleName) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const where = (cf) => {
    if (!cf.url.endsWith(bundleName)) return cf.url ? cf.url.split("/").pop() : "";
    const e = map.findEntry(cf.lineNumber, cf.columnNumber);
    if (!e || !e.originalSource) return "";
    const src = e.originalSource.replace(/^.*?\/(src|durable-objects|node_modules)\//, "$1/");
    return `${src}:${(e.originalLine ?? e.originalLineNumber) + 1}`;
  };
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

/** A minimal Chrome DevTools Protocol client over the WebSocket Node 22 has built in. */
function connect(wsUrl) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    let next = 1;
    const pending = new Map();
    ws.onmessage = (ev) => {
      const msg = JSON.parse(typeof ev.data === "string" ? ev.data : Buffer.from(ev.data).toString("utf8"));
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${msg.error.message}`));
      else p.resolve(msg.result);
    };
    ws.onerror = () => reject(new Error(`inspector connection to ${wsUrl} failed`));
    ws.onopen = () =>
      resolve({
        send: (method, params = {}) =>
          new Promise((res, rej) => {
            const id = next++;
            pending.set(id, { resolve: res, reject: rej });
            ws.send(JSON.stringify({ id, method, params }));
            setTimeout(() => {
              if (pending.delete(id)) rej(new Error(`${method}: no answer from the inspector`));
            }, 30_000);
          }),
        close: () => ws.close(),
      });
  });
}
