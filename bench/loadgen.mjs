// Open-loop (fixed-rate) load generator. Request i is due at t0 + i/rate
// whatever happened to the earlier ones, and its latency is measured from that
// due time, not from when it was sent: a stalled server is charged for every
// request it delayed (no coordinated omission, as in wrk2). Bounded: at most
// `rate × duration` requests (≤ 200,000), each aborted `timeout` ms after it
// was due, and the whole run stops by `warmup + duration + timeout + 5 s`.
// The first `warmup` seconds (default 1) are sent at the same rate and not
// counted: they warm the generator, its connections and the contestant.
//
//   node bench/loadgen.mjs --url http://127.0.0.1:8080/ --rate 500 --duration 20 [--host h] [--timeout 1000] [--warmup 1] [--raw]
//
// Started with an IPC channel it sends { type: "started" } when the first
// measured request is due and { type: "result", … } at the end; otherwise it prints
// the result as JSON on stdout.
import { Agent, request } from "node:http";
import { parseArgs } from "node:util";
import { summarize } from "./lib/stats.mjs";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    rate: { type: "string", default: "100" },
    duration: { type: "string", default: "5" },
    timeout: { type: "string", default: "1000" },
    host: { type: "string" },
    "max-sockets": { type: "string", default: "256" },
    raw: { type: "boolean", default: false },
    warmup: { type: "string", default: "1" },
  },
});

const MAX_REQUESTS = 200_000;
const target = new URL(values.url);
const rate = Number(values.rate);
const durationS = Number(values.duration);
const timeoutMs = Number(values.timeout);
const n = Math.min(MAX_REQUESTS, Math.round(rate * durationS));
// Requests before the measured window, at the same rate: they warm the generator's JIT and
// connections and the contestant's, and are not counted.
const warm = Math.min(MAX_REQUESTS, Math.round(rate * Number(values.warmup)));
if (!(n > 0) || target.hostname !== "127.0.0.1") {
  console.error("loadgen: need --rate and --duration > 0, and a URL on 127.0.0.1");
  process.exit(2);
}
const interval = 1000 / rate;
const agent = new Agent({ keepAlive: true, maxSockets: Number(values["max-sockets"]), scheduling: "lifo" });
const headers = values.host ? { host: values.host } : {};

// Per request: latency from its due time (ms), from its dispatch (ms), status (0 = network error, -1 = timeout).
const total = warm + n;
const latency = new Float64Array(total);
const service = new Float64Array(total);
const lag = new Float64Array(total);
const status = new Int16Array(total);
let finished = 0;
let started = 0;

const now = () => performance.now();
const t0 = now() + 20;
// The measured window opens with request `warm`.
const measuredFrom = t0 + warm * interval;

function fire(i, due) {
  const sent = now();
  lag[i] = sent - due;
  let settled = false;
  const settle = (code) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    const end = now();
    latency[i] = code === -1 ? Math.max(timeoutMs, end - due) : end - due;
    service[i] = end - sent;
    status[i] = code;
    if (++finished === total) finish();
  };
  const req = request(
    { host: target.hostname, port: target.port, path: target.pathname + target.search, method: "GET", agent, headers },
    (res) => {
      res.on("data", () => {});
      res.on("end", () => settle(res.statusCode ?? 0));
      res.on("error", () => settle(0));
    },
  );
  const timer = setTimeout(
    () => {
      settle(-1);
      req.destroy();
    },
    Math.max(1, due + timeoutMs - sent),
  );
  req.on("error", () => settle(0));
  req.end();
}

let announced = false;
function tick() {
  const t = now();
  while (started < total && t0 + started * interval <= t) {
    if (started === warm && !announced) {
      announced = true;
      process.send?.({ type: "started" });
    }
    fire(started, t0 + started * interval);
    started++;
  }
  if (started < total) setTimeout(tick, Math.max(0, t0 + started * interval - now() - 0.2));
}

// Hard stop: whatever is still open is reported as timed out.
const hardStop = setTimeout(
  () => {
    for (let i = 0; i < total; i++) {
      if (status[i] === 0 && latency[i] === 0) {
        latency[i] = timeoutMs;
        status[i] = -1;
      }
    }
    finish();
  },
  measuredFrom - now() + durationS * 1000 + timeoutMs + 5000,
);

let done = false;
function finish() {
  if (done) return;
  done = true;
  clearTimeout(hardStop);
  agent.destroy();
  const m = (a) => a.subarray(warm);
  const result = summarize({
    latency: m(latency),
    service: m(service),
    lag: m(lag),
    status: m(status),
    interval,
    timeoutMs,
    n,
  });
  result.rate = rate;
  result.duration_s = durationS;
  // Raw latencies (µs, integers) and statuses let the caller pool several runs.
  if (values.raw) {
    result.raw = { latency_us: Array.from(m(latency), (v) => Math.round(v * 1000)), status: Array.from(m(status)) };
  }
  if (process.send) process.send({ type: "result", result }, () => process.exit(0));
  else {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  }
}

setTimeout(tick, Math.max(0, t0 - now()));
