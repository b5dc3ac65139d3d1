// Scenario 1: what a proxy costs. Every contestant balances over the same five
// nginx static origins (the fastest origin this machine has); peak throughput
// with wrk, latency at a fixed rate with the open-loop generator. Contestants
// are measured in interleaved rounds (A B C D E, then B C D E A…) so that the
// machine's background load falls on all of them alike.
import { join } from "node:path";
import { configureService } from "../lib/admin.mjs";
import { direct, haproxy, mesh, nginx, passthrough } from "../lib/contestants.mjs";
import { peakMemory, runOpenLoop, runWrk } from "../lib/load.mjs";
import { startStaticOrigin } from "../lib/peers.mjs";
import { freePort, waitForHttp } from "../lib/procs.mjs";
import { median, pool } from "../lib/stats.mjs";

/** Runs scenario 1 and returns its rows (one per contestant). */
export async function overhead(run) {
  const p = run.params.overhead;
  const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
  const origins = ports.map((port) => `http://127.0.0.1:${port}`);
  const originProc = await startStaticOrigin({ dir: join(run.dir, "static-origin"), ports });
  const stoppers = [() => originProc.stop()];
  try {
    await waitForHttp(`${origins[0]}/`, { proc: originProc });
    const m = await mesh(run);
    stoppers.push(m.stop);
    await configureService(m.admin, "rr", "rr.bench", "round_robin", origins);
    const contestants = [
      direct(origins),
      await passthrough(run, origins),
      m.contestant("flaremesh round_robin", "rr.bench"),
      await nginx(run, origins, "round_robin"),
      await haproxy(run, origins, "roundrobin"),
    ];
    for (const c of contestants) stoppers.push(c.stop);
    await waitForHttp(`${m.url}/`, { headers: { host: "rr.bench" } });

    const peak = new Map(contestants.map((c) => [c.name, []]));
    const fixed = new Map(contestants.map((c) => [c.name, []]));
    run.log(`overhead: warm-up ${p.warmS} s each`);
    for (const c of contestants) await runWrk({ url: c.url, host: c.host, durationS: p.warmS, pids: c.pids });
    for (let round = 0; round < p.peakRounds; round++) {
      for (const c of rotate(contestants, round)) {
        const r = await runWrk({
          url: c.url,
          host: c.host,
          durationS: p.peakS,
          connections: p.connections,
          pids: c.pids,
        });
        run.log(`overhead: peak round ${round + 1} ${c.name}: ${r.rps} req/s, ${r.errors} errors`);
        peak.get(c.name).push(r);
      }
    }
    for (let round = 0; round < p.fixedRounds; round++) {
      for (const c of rotate(contestants, round)) {
        const r = await runOpenLoop({ url: c.url, host: c.host, rate: p.rate, durationS: p.fixedS, pids: c.pids });
        run.log(
          `overhead: ${p.rate} req/s round ${round + 1} ${c.name}: p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms, ${r.error_count} errors`,
        );
        fixed.get(c.name).push(r);
      }
    }
    const rows = contestants.map((c) => {
      const peaks = peak.get(c.name);
      const requests = peaks.reduce((a, r) => a + r.requests, 0);
      const cpu = peaks.reduce((a, r) => a + r.cpu_s, 0);
      const isProxy = c.name !== "direct";
      return {
        name: c.name,
        peak_rps: median(peaks.map((r) => r.rps)),
        peak_rps_rounds: peaks.map((r) => r.rps),
        peak_errors: peaks.reduce((a, r) => a + r.errors, 0),
        peak_cpu_s_per_1k: isProxy && requests ? round3((cpu * 1000) / requests) : null,
        peak_closed_loop_latency_ms: peaks[peaks.length - 1]?.latency_ms,
        fixed: stripCpu(pool(fixed.get(c.name), 1000), isProxy),
        peak_rss_mib: isProxy ? peakMemory(c.pids()) : null,
      };
    });
    return {
      origins: "5 × nginx static (one nginx, 1 worker, 5 ports)",
      rate: p.rate,
      peak: { rounds: p.peakRounds, seconds: p.peakS, connections: p.connections, tool: "wrk -t1" },
      fixed_rate: { rounds: p.fixedRounds, seconds: p.fixedS },
      rows,
    };
  } finally {
    for (const stop of stoppers.reverse()) await stop();
  }
}

function rotate(list, k) {
  const i = k % list.length;
  return [...list.slice(i), ...list.slice(0, i)];
}

function stripCpu(pooled, isProxy) {
  const { timeline: _drop, ...rest } = pooled;
  return isProxy ? rest : { ...rest, cpu_s_per_1k: null };
}

function round3(v) {
  return Math.round(v * 1000) / 1000;
}
