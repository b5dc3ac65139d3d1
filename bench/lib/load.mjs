// Running load against a contestant: wrk (closed loop, peak throughput) and
// the open-loop generator (fixed rate, latency), each with the contestant's
// CPU seconds and peak memory read from /proc around the run.
import { fileURLToPath } from "node:url";
import { cpuSeconds, peakRssMiB, processTree, startProcess } from "./procs.mjs";

const BENCH = fileURLToPath(new URL("..", import.meta.url));

/**
 * Peak throughput with wrk: one thread, `connections` keep-alive connections,
 * `durationS` seconds (wrk stops by itself; we kill it 15 s later at most),
 * with `headers` (an object) added to every request.
 * @example const r = await runWrk({ url, durationS: 10, pids: () => contestant.pids() });
 */
export async function runWrk({ url, host, durationS, connections = 32, pids = () => [], headers = {} }) {
  const before = cpuSeconds(pids());
  const proc = startProcess(
    "wrk",
    [
      "-t1",
      `-c${connections}`,
      `-d${Math.max(1, Math.round(durationS))}s`,
      "--timeout",
      "2s",
      "-s",
      `${BENCH}wrk-report.lua`,
      url,
    ],
    {
      name: "wrk",
      env: {
        ...process.env,
        BENCH_HOST: host ?? "",
        BENCH_HEADERS: Object.entries(headers)
          .map(([name, value]) => `${name}: ${value}`)
          .join("\n"),
      },
    },
  );
  const timer = setTimeout(() => void proc.kill(), (durationS + 15) * 1000);
  await proc.exited;
  clearTimeout(timer);
  const cpu = cpuSeconds(pids()) - before;
  const line = proc
    .output()
    .split("\n")
    .find((l) => l.startsWith("WRK_JSON"));
  if (!line) throw new Error(`wrk gave no summary:\n${proc.output()}`);
  const raw = JSON.parse(line.slice("WRK_JSON".length));
  const errors = raw.errors.connect + raw.errors.read + raw.errors.write + raw.errors.status + raw.errors.timeout;
  const seconds = raw.duration_us / 1e6;
  const us = (v) => Math.round(v) / 1000;
  return {
    requests: raw.requests,
    rps: Math.round(raw.requests / seconds),
    errors,
    error_detail: raw.errors,
    // Closed-loop latency: only for reference (coordinated omission hides stalls).
    latency_ms: {
      p50: us(raw.latency_us.p50),
      p90: us(raw.latency_us.p90),
      p99: us(raw.latency_us.p99),
      p999: us(raw.latency_us.p999),
      max: us(raw.latency_us.max),
    },
    cpu_s: round3(cpu),
    cpu_s_per_1k: raw.requests > 0 ? round3((cpu * 1000) / raw.requests) : null,
  };
}

let warmupDefault = 1;

/** Seconds of uncounted load before each fixed-rate run's measured window (the run's setting). */
export function setOpenLoopWarmup(seconds) {
  warmupDefault = seconds;
}

/**
 * A fixed-rate run with bench/loadgen.mjs in its own process. `at` lists
 * actions to take at given seconds after the first request was due (slow an
 * origin, kill one…); they run in order and are awaited before the result.
 * @example await runOpenLoop({ url, rate: 500, durationS: 20, pids, at: [[5, () => slow()]] })
 */
export async function runOpenLoop({
  url,
  host,
  rate,
  durationS,
  timeoutMs = 1000,
  pids = () => [],
  at = [],
  raw = true,
  warmupS = warmupDefault,
}) {
  let before = cpuSeconds(pids());
  const args = [
    `${BENCH}loadgen.mjs`,
    "--url",
    url,
    "--rate",
    String(rate),
    "--duration",
    String(durationS),
    "--timeout",
    String(timeoutMs),
    "--warmup",
    String(warmupS),
  ];
  if (host) args.push("--host", host);
  if (raw) args.push("--raw");
  const proc = startProcess(process.execPath, args, { name: "loadgen", ipc: true });
  const actions = [];
  let result = null;
  proc.child.on("message", (msg) => {
    if (msg.type === "started") {
      // CPU is counted over the measured window only.
      before = cpuSeconds(pids());
      for (const [seconds, fn] of at) {
        actions.push(new Promise((resolve) => setTimeout(() => resolve(Promise.resolve().then(fn)), seconds * 1000)));
      }
    } else if (msg.type === "result") {
      result = msg.result;
    }
  });
  const timer = setTimeout(() => void proc.kill(), (warmupS + durationS + 30) * 1000 + timeoutMs);
  await proc.exited;
  clearTimeout(timer);
  await Promise.all(actions);
  const cpu = cpuSeconds(pids()) - before;
  if (!result) throw new Error(`loadgen gave no result:\n${proc.output()}`);
  result.cpu_s = round3(cpu);
  result.cpu_s_per_1k = round3((cpu * 1000) / result.requests);
  return result;
}

/** Peak RSS (MiB) of a contestant's processes so far. */
export function peakMemory(pids) {
  return Math.round(peakRssMiB(pids) * 10) / 10;
}

/** The process and its descendants. */
export function treeOf(pid) {
  return processTree(pid);
}

function round3(v) {
  return Math.round(v * 1000) / 1000;
}
