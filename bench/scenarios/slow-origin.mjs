// Scenario 2, the Buoyant test: five node origins answering in 5 ms; during
// the middle half of a run one of them answers in 50 ms (10×), or, in
// scenario 2b, in 500 ms (100×: the shape of the harness). Per contestant:
// an all-healthy baseline run, then the run with the slow origin; p99, p99.9
// and the share of requests answered with success within the 1 s client
// timeout. The mesh runs all three of its load-aware and naive policies, and
// ewma with hedged requests (SPEC §11) at the observed p95. The bare
// passthrough Worker (round robin) runs too, over the same origins: its
// all-healthy p99 is the runtime's own floor, which no Worker on it can beat.
import { configureService } from "../lib/admin.mjs";
import { haproxy, mesh, nginx, passthrough } from "../lib/contestants.mjs";
import { runOpenLoop } from "../lib/load.mjs";
import { startNodeOrigins } from "../lib/origins.mjs";
import { waitForHttp } from "../lib/procs.mjs";

const BASE_MS = 5;

/** Runs scenario 2 (one origin 10× slower) and returns its rows. */
export function slowOrigin(run) {
  return slowOriginAt(run, 50);
}

/** Runs scenario 2b (one origin 100× slower) and returns its rows. */
export function slowOrigin100x(run) {
  return slowOriginAt(run, 500);
}

async function slowOriginAt(run, SLOW_MS) {
  const p = run.params.slowOrigin;
  const origins = await startNodeOrigins({ count: 5, latencyMs: BASE_MS });
  const urls = origins.map((o) => o.url);
  const stoppers = origins.map((o) => o.stop);
  try {
    const m = await mesh(run);
    stoppers.push(m.stop);
    // The last: ewma with hedging at the observed p95 (SPEC §11's defaults).
    const policies = [
      ["round_robin", "rr", "round_robin"],
      ["least_request", "lr", "least_request"],
      ["ewma", "ewma", "ewma"],
      ["ewma", "hedge", "ewma + hedge", { hedge: {} }],
    ];
    const contestants = [];
    for (const [policy, short, label, extra] of policies) {
      await configureService(m.admin, `slow-${short}`, `${short}.slow.bench`, policy, urls, extra);
      contestants.push(m.contestant(`flaremesh ${label}`, `${short}.slow.bench`));
    }
    await waitForHttp(`${m.url}/`, { headers: { host: "rr.slow.bench" } });
    const n = await nginx(run, urls, "least_conn");
    const h = await haproxy(run, urls, "leastconn");
    const pt = await passthrough(run, urls);
    stoppers.push(n.stop, h.stop, pt.stop);
    contestants.push(n, h, pt);

    const rows = [];
    for (const c of contestants) {
      const base = await runOpenLoop({
        url: c.url,
        host: c.host,
        rate: p.rate,
        durationS: p.baselineS,
        pids: c.pids,
        raw: false,
      });
      const slowFrom = p.slowS * 0.25;
      const slowTo = p.slowS * 0.75;
      // How many requests the slow origin got while it was slow, as it counted them.
      let servedAtSlow = null;
      let servedAtFast = null;
      const slowed = await runOpenLoop({
        url: c.url,
        host: c.host,
        rate: p.rate,
        durationS: p.slowS,
        pids: c.pids,
        raw: false,
        at: [
          [
            slowFrom,
            async () => {
              origins[0].set({ latencyMs: SLOW_MS });
              servedAtSlow = await origins[0].served();
            },
          ],
          [
            slowTo,
            async () => {
              origins[0].set({ latencyMs: BASE_MS });
              servedAtFast = await origins[0].served();
            },
          ],
        ],
      });
      origins[0].set({ latencyMs: BASE_MS });
      run.log(
        `slow origin: ${c.name}: baseline p99 ${base.latency_ms.p99} ms, slowed p99 ${slowed.latency_ms.p99} ms, p99.9 ${slowed.latency_ms.p999} ms`,
      );
      rows.push({
        name: c.name,
        baseline: brief(base),
        slowed: brief(slowed),
        p99_vs_baseline: base.latency_ms.p99
          ? Math.round((slowed.latency_ms.p99 / base.latency_ms.p99) * 100) / 100
          : null,
        // Share of the requests sent while the origin was slow that went to it (1/5 = blind round robin).
        slow_origin_share:
          servedAtSlow === null || servedAtFast === null
            ? null
            : Math.round(((servedAtFast - servedAtSlow) / (p.rate * (slowTo - slowFrom))) * 10000) / 10000,
      });
    }
    return {
      origins: `5 × node (one process each), ${BASE_MS} ms; one at ${SLOW_MS} ms for the middle half of each slowed run`,
      slow_ms: SLOW_MS,
      rate: p.rate,
      baseline_s: p.baselineS,
      slowed_s: p.slowS,
      rows,
    };
  } finally {
    for (const o of origins) o.set({ latencyMs: BASE_MS });
    for (const stop of stoppers.reverse()) await stop();
  }
}

function brief(r) {
  return {
    requests: r.requests,
    errors: r.error_count,
    success_within_1s: r.success_within_timeout,
    latency_ms: r.latency_ms,
    send_lag_p99_ms: r.send_lag_ms.p99,
    cpu_s_per_1k: r.cpu_s_per_1k,
  };
}
