// Scenario 3: one of five origins is killed (SIGKILL) 30% into a run of GETs
// at a fixed rate and stays dead; what the clients see. The bare passthrough
// Worker (no retries, no health) shows what happens without a balancer.
import { configureService } from "../lib/admin.mjs";
import { haproxy, mesh, nginx, passthrough } from "../lib/contestants.mjs";
import { runOpenLoop } from "../lib/load.mjs";
import { startNodeOrigins } from "../lib/origins.mjs";
import { sleep, waitForHttp } from "../lib/procs.mjs";

/** Runs scenario 3 and returns its rows. */
export async function killedOrigin(run) {
  const p = run.params.killedOrigin;
  const origins = await startNodeOrigins({ count: 5, latencyMs: p.latencyMs });
  const urls = origins.map((o) => o.url);
  const stoppers = origins.map((o) => o.stop);
  try {
    const m = await mesh(run);
    stoppers.push(m.stop);
    await configureService(m.admin, "kill-rr", "rr.kill.bench", "round_robin", urls);
    await configureService(m.admin, "kill-ewma", "ewma.kill.bench", "ewma", urls);
    await waitForHttp(`${m.url}/`, { headers: { host: "rr.kill.bench" } });
    const contestants = [
      await passthrough(run, urls),
      m.contestant("flaremesh round_robin", "rr.kill.bench"),
      m.contestant("flaremesh ewma", "ewma.kill.bench"),
      await nginx(run, urls, "round_robin"),
      await haproxy(run, urls, "roundrobin"),
    ];
    for (const c of contestants)
      if (c.name !== "flaremesh round_robin" && c.name !== "flaremesh ewma") stoppers.push(c.stop);

    const victim = origins[1];
    const rows = [];
    for (const c of contestants) {
      const killAt = p.seconds * 0.3;
      const r = await runOpenLoop({
        url: c.url,
        host: c.host,
        rate: p.rate,
        durationS: p.seconds,
        pids: c.pids,
        raw: false,
        at: [[killAt, () => victim.kill()]],
      });
      await victim.restart();
      await sleep(500);
      const after = r.timeline.filter((t) => t.s >= Math.floor(killAt));
      run.log(`killed origin: ${c.name}: ${r.error_count} client errors of ${r.requests}`);
      rows.push({
        name: c.name,
        requests: r.requests,
        client_errors: r.error_count,
        errors: r.errors,
        errors_after_kill_by_second: after.map((t) => t.errors),
        success_within_1s: r.success_within_timeout,
        latency_ms: r.latency_ms,
      });
    }
    return {
      origins: `5 × node (one process each), ${p.latencyMs} ms; o2 killed with SIGKILL at 30% of the run`,
      rate: p.rate,
      seconds: p.seconds,
      rows,
    };
  } finally {
    for (const stop of stoppers.reverse()) await stop();
  }
}
