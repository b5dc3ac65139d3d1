// The fleet simulation's driver Worker (bench/fleet.mjs): it stands in for
// many Worker isolates at once, calling the mesh's real Registry and
// LogBuffer Durable Objects (bound from the mesh Worker on the same workerd)
// the way the data plane does. Node drives it over HTTP on 127.0.0.1:
//
//   POST /seed    { services, origins }                    registers M services with N origins in all
//   POST /wave    { isolates, method, quietMs }            that many blocking reads wait at the registry; a write
//                                                          no router cares about must answer none of them, then
//                                                          one origin's health flips and every read answers
//   POST /logs    { isolates, seconds, lines, shards }     isolates hand request-log batches to the log buffer, as
//                                                          the recorder does (one call per isolate per second)
//
// Every loop is bounded by a count or a deadline.

const SNAPSHOT_WAIT_MS = 20_000;
const SERVICE = (i) => `svc-${i}`;
const LEASE_SERVICE = "lease";

let seeded = { services: 0, perService: 0 };
let flips = 0;

const registry = (env) => env.REGISTRY.get(env.REGISTRY.idFromName("global"));

const serviceBody = (i) => ({
  routes: [{ host: `${SERVICE(i)}.fleet.test`, path_prefix: "/" }],
  strip_prefix: false,
  load_balancer: { policy: "round_robin", hash_on: null },
  health_check: null,
  retries: {
    attempts: 2,
    per_try_timeout_ms: 5000,
    retry_on: ["connect-failure", "timeout", "5xx"],
    budget_ratio: 0.2,
  },
  timeout_ms: 15000,
  // Every flip must apply, however many origins of the service are ejected already.
  outlier_detection: { consecutive_failures: 5, base_ejection_s: 30, max_ejection_percent: 100 },
  panic_threshold_percent: 50,
  slow_start_s: 0,
  fallback_service: null,
});

const originBody = (s, j) => ({
  url: `https://o${j}.${SERVICE(s)}.fleet.test`,
  weight: 1,
  zone: j % 2 === 0 ? "eu" : "us",
  tags: ["fleet"],
  metadata: {},
  enabled: true,
  drain: false,
  ttl_s: null,
});

/** Runs `fn` over 0..n-1 with at most `limit` at once. */
async function pool(n, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

async function seed(env, { services, origins }) {
  const t = Date.now();
  const reg = registry(env);
  const perService = Math.ceil(origins / services);
  await pool(services, 8, (s) => reg.putService(SERVICE(s), serviceBody(s)));
  await pool(services * perService, 16, (k) =>
    reg.putOrigin(
      SERVICE(Math.floor(k / perService)),
      `o${k % perService}`,
      originBody(Math.floor(k / perService), k % perService),
    ),
  );
  await reg.putService(LEASE_SERVICE, { ...serviceBody(services), routes: [{ host: "lease.fleet.test" }] });
  await reg.putOrigin(LEASE_SERVICE, "l1", { ...originBody(services, 0), ttl_s: 3600 });
  seeded = { services, perService };
  return { version: await reg.version(), origins: services * perService, ms: Date.now() - t };
}

/** What one answer weighs: strings as they are, objects as their JSON (measured once per version). */
function sizer() {
  const byVersion = new Map();
  return (answer) => {
    if (answer === null) return { version: null, bytes: 0 };
    if (typeof answer === "string") {
      const version = Number(/"version":(\d+)/.exec(answer)?.[1] ?? -1);
      return { version, bytes: answer.length, kind: answer.startsWith('{"kind":"delta"') ? "delta" : "full" };
    }
    if (answer instanceof ArrayBuffer || ArrayBuffer.isView(answer)) return { version: -1, bytes: answer.byteLength };
    let bytes = byVersion.get(answer.version);
    if (bytes === undefined) {
      bytes = JSON.stringify(answer).length;
      byVersion.set(answer.version, bytes);
    }
    return { version: answer.version, bytes, kind: "full" };
  };
}

async function benchStats(env, reset) {
  return registry(env).benchStats(reset);
}

/** Starts `isolates` blocking reads at the current version and resolves once all of them wait at the registry. */
async function arm(env, isolates, method) {
  const reg = registry(env);
  const known = await reg.version();
  const before = (await benchStats(env, false)).waiting;
  const size = sizer();
  const results = [];
  const reads = Array.from({ length: isolates }, () =>
    // One stub per simulated isolate, as each isolate has its own.
    registry(env)
      [method](known, SNAPSHOT_WAIT_MS)
      .then((answer) => results.push({ at: Date.now(), ...size(answer) }))
      .catch((err) => results.push({ at: Date.now(), error: String(err) })),
  );
  const deadline = Date.now() + 30_000;
  let waiting = 0;
  while (Date.now() < deadline) {
    waiting = (await benchStats(env, false)).waiting - before;
    if (waiting >= isolates) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { known, waiting, reads, results };
}

function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * One change as the fleet sees it: `isolates` blocking reads wait; a write
 * no router cares about (a lease renewed in time) must wake none of them
 * within `quietMs`; then one origin's health flips (an ejection reported by
 * an isolate) and every read answers. Reports bytes, the registry's time
 * answering and how long after the flip each read had it.
 */
async function wave(env, { isolates, method = "snapshot", quietMs = 300, timeoutMs = 600_000 }) {
  const t0 = Date.now();
  const armed = await arm(env, isolates, method);
  const reg = registry(env);
  const v0 = await reg.version();
  await reg.heartbeat(LEASE_SERVICE, "l1");
  await new Promise((r) => setTimeout(r, quietMs));
  const quiet = { version_moved: (await reg.version()) !== v0, answered: armed.results.length };

  await benchStats(env, true);
  const s = flips % seeded.services;
  const o = Math.floor(flips / seeded.services) % seeded.perService;
  flips++;
  const flipAt = Date.now();
  await reg.reportEjections([
    { service: SERVICE(s), origin: `o${o}`, ejected_until: flipAt + 3_600_000, reason: "fleet: simulated flip" },
  ]);
  await Promise.race([Promise.all(armed.reads), new Promise((r) => setTimeout(r, timeoutMs))]);
  const done = Date.now();
  const stats = await benchStats(env, true);
  const ok = armed.results.filter((r) => r.error === undefined && r.version !== null);
  const stale = ok.map((r) => r.at - flipAt).sort((a, b) => a - b);
  const bytes = ok.reduce((sum, r) => sum + r.bytes, 0);
  const errors = armed.results.filter((r) => r.error !== undefined);
  return {
    isolates,
    method,
    armed: armed.waiting,
    quiet,
    answered: ok.length,
    error_count: errors.length,
    errors: errors.map((r) => r.error).slice(0, 3),
    answers: { full: ok.filter((r) => r.kind === "full").length, delta: ok.filter((r) => r.kind === "delta").length },
    bytes_total: bytes,
    bytes_per_isolate: ok.length ? Math.round(bytes / ok.length) : 0,
    registry_answer_ms: Math.round(stats.answerMs * 10) / 10,
    registry_answers: stats.answers,
    flip_to_all_answered_ms: done - flipAt,
    wave_ms: done - t0,
    staleness_ms: { p50: quantile(stale, 0.5), p99: quantile(stale, 0.99), max: stale.at(-1) ?? null },
  };
}

const logShard = (env, i) => env.LOG_BUFFER.get(env.LOG_BUFFER.idFromName(i === 0 ? "global" : `shard-${i}`));

/** A request-log line of the usual size (about 300 bytes). */
function logLine(isolate, n) {
  return JSON.stringify({
    ts: new Date().toISOString(),
    request_id: `${isolate.toString(16).padStart(8, "0")}-${n.toString(16).padStart(8, "0")}-fleet-0000-000000000000`,
    method: "GET",
    host: "svc-1.fleet.test",
    path: `/items/${n}`,
    status: 200,
    service: "svc-1",
    origin_id: "o7",
    attempts: 1,
    duration_ms: 12,
    upstream_ms: 10,
    bytes_out: 512,
    client_ip: "203.0.113.0",
    colo: "FRA",
    country: "DE",
    error_code: null,
  });
}

/**
 * Request logs from a fleet: every simulated isolate keeps to one shard
 * (chosen as the data plane does, at random) and hands it one batch of
 * `lines` lines and its counter deltas a second, for `seconds` seconds, the
 * isolates spread evenly over each second. Reports calls per second per
 * object, the objects' time per call and the latency isolates saw.
 */
async function logs(env, { isolates, seconds, lines = 100, shards = 1 }) {
  const latencies = [];
  const perShard = new Array(shards).fill(0);
  let errors = 0;
  let started = 0;
  let finished = 0;
  const deltas = [
    ["mesh_requests_total|code=2xx|origin=o7|service=svc-1", lines],
    ["mesh_request_duration_seconds_count|service=svc-1", lines],
  ];
  await env.LOG_BUFFER.get(env.LOG_BUFFER.idFromName("global")).benchStats(true);
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  // One batch made once: what is measured is the objects' work and the RPCs, not this driver making JSON.
  const batch = Array.from({ length: lines }, (_, n) => logLine(0, n));
  const isolate = async (i) => {
    const shard = Math.floor(Math.random() * shards);
    await new Promise((r) => setTimeout(r, (i / isolates) * 1000));
    started++;
    for (let tick = 0; tick < seconds && Date.now() < end + 30_000; tick++) {
      const started = Date.now();
      try {
        await logShard(env, shard).append(batch, deltas, 0);
        perShard[shard]++;
      } catch {
        errors++;
      }
      const took = Date.now() - started;
      latencies.push(took);
      const next = t0 + (i / isolates) * 1000 + (tick + 1) * 1000;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
    finished++;
  };
  await Promise.all(Array.from({ length: isolates }, (_, i) => isolate(i)));
  const wall = (Date.now() - t0) / 1000;
  const stats = await env.LOG_BUFFER.get(env.LOG_BUFFER.idFromName("global")).benchStats(true);
  latencies.sort((a, b) => a - b);
  const calls = perShard.reduce((a, b) => a + b, 0);
  return {
    isolates,
    shards,
    lines_per_call: lines,
    seconds: Math.round(wall * 10) / 10,
    calls,
    errors,
    isolates_started: started,
    isolates_finished: finished,
    offered_calls_per_s: isolates,
    calls_per_s: Math.round(calls / wall),
    max_calls_per_s_per_object: Math.round(Math.max(...perShard) / wall),
    object_ms_per_call: stats.calls ? Math.round((stats.ms / stats.calls) * 1000) / 1000 : null,
    latency_ms: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.at(-1) ?? null },
  };
}

/** The newest blocking read the registry has: the routing feed when there is one, else the snapshot. */
async function newestRead(env) {
  try {
    await registry(env).routingFeed(-1, 0);
    return "routingFeed";
  } catch {
    return "snapshot";
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const body = request.method === "POST" ? await request.json() : {};
    try {
      let out;
      if (url.pathname === "/seed") out = await seed(env, body);
      else if (url.pathname === "/wave") out = await wave(env, body);
      else if (url.pathname === "/logs") out = await logs(env, body);
      else if (url.pathname === "/ready") out = { ok: true };
      else if (url.pathname === "/probe") out = { method: await newestRead(env) };
      else return new Response("not found", { status: 404 });
      return Response.json(out);
    } catch (err) {
      return Response.json({ error: String(err?.stack ?? err) }, { status: 500 });
    }
  },
};
