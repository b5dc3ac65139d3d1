// The markdown report and the target check, both computed from one run's JSON.

const fmt = (v, digits = 2) =>
  v === null || v === undefined || Number.isNaN(v) ? "–" : typeof v === "number" ? v.toFixed(digits) : String(v);
const int = (v) => (v === null || v === undefined ? "–" : Math.round(v).toLocaleString("en-US"));
const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(2)}%`);
const ratio = (a, b) => (a && b ? a / b : null);

function table(head, rows) {
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

const MESH_RR = "flaremesh round_robin";

function rpcCell(r) {
  const own =
    r.mesh_metric_delta === null || r.mesh_metric_delta === undefined
      ? ""
      : `; mesh_registry_rpc_total +${r.mesh_metric_delta}`;
  return `${fmt(r.registry_rpcs_per_1k, 3)} (${r.registry_rpcs} in ${fmt(r.seconds, 1)} s${own})`;
}

/** Ratios of scenario 1 against the bare passthrough Worker and nginx, from the same run. */
export function overheadRatios(overhead) {
  const by = new Map(overhead.rows.map((r) => [r.name, r]));
  const pass = by.get("workerd passthrough");
  const ngx = by.get("nginx round_robin");
  return overhead.rows.map((r) => ({
    name: r.name,
    rps_vs_passthrough: ratio(r.peak_rps, pass?.peak_rps),
    rps_vs_nginx: ratio(r.peak_rps, ngx?.peak_rps),
    added_p50_vs_passthrough_ms: pass ? r.fixed.latency_ms.p50 - pass.fixed.latency_ms.p50 : null,
    added_p50_vs_nginx_ms: ngx ? r.fixed.latency_ms.p50 - ngx.fixed.latency_ms.p50 : null,
    p99_vs_nginx: ratio(r.fixed.latency_ms.p99, ngx?.fixed.latency_ms.p99),
    cpu_vs_passthrough: ratio(r.peak_cpu_s_per_1k, pass?.peak_cpu_s_per_1k),
    cpu_vs_nginx: ratio(r.peak_cpu_s_per_1k, ngx?.peak_cpu_s_per_1k),
  }));
}

/** The targets, each with the figure from this run and whether it is met. */
export function targets(results) {
  const out = [];
  const s = results.scenarios;
  if (s.overhead) {
    const r = overheadRatios(s.overhead).find((x) => x.name === MESH_RR);
    out.push({
      target: "mesh throughput ≥ 90% of bare passthrough",
      figure: pct(r?.rps_vs_passthrough),
      met: r?.rps_vs_passthrough >= 0.9,
    });
    out.push({
      target: "added p50 over passthrough ≤ 0.5 ms",
      figure: `${fmt(r?.added_p50_vs_passthrough_ms, 3)} ms`,
      met: r?.added_p50_vs_passthrough_ms <= 0.5,
    });
  }
  if (s.slowOrigin) {
    const by = new Map(s.slowOrigin.rows.map((r) => [r.name, r]));
    const ewma = by.get("flaremesh ewma");
    const ngx = by.get("nginx least_conn");
    const ha = by.get("HAProxy leastconn");
    if (ewma) {
      out.push({
        target: "ewma p99 with a slow origin ≤ 1.5 × its all-healthy p99",
        figure: `${fmt(ewma.p99_vs_baseline)}×`,
        met: ewma.p99_vs_baseline <= 1.5,
      });
      const better = [ngx, ha].every((o) => !o || ewma.slowed.latency_ms.p99 < o.slowed.latency_ms.p99);
      out.push({
        target: "ewma p99 with a slow origin better than nginx and HAProxy",
        figure: `${fmt(ewma.slowed.latency_ms.p99)} vs ${fmt(ngx?.slowed.latency_ms.p99)} / ${fmt(ha?.slowed.latency_ms.p99)} ms`,
        met: better,
      });
    }
  }
  if (s.slowOrigin100x) {
    // Issue 16's targets: the best of ewma and ewma + hedge below both peers on p99, and its p99.9 under 2× the all-healthy p99.
    const rows = s.slowOrigin100x.rows;
    const mine = rows.filter((r) => r.name === "flaremesh ewma" || r.name === "flaremesh ewma + hedge");
    const best = mine.sort((a, b) => a.slowed.latency_ms.p99 - b.slowed.latency_ms.p99)[0];
    const peers = rows.filter((r) => r.name.startsWith("nginx") || r.name.startsWith("HAProxy"));
    // Context, not a target: the bare passthrough's all-healthy p99 on the same origins (the runtime's floor).
    const floor = rows.find((r) => r.name === "workerd passthrough")?.baseline.latency_ms.p99;
    if (best) {
      out.push({
        target: "100× slow origin: best flaremesh p99 below nginx and HAProxy",
        figure:
          `${best.name.replace("flaremesh ", "")} ${fmt(best.slowed.latency_ms.p99)} vs ${peers.map((o) => fmt(o.slowed.latency_ms.p99)).join(" / ")} ms` +
          (floor === undefined ? "" : ` (passthrough all-healthy p99 ${fmt(floor)})`),
        met: peers.every((o) => best.slowed.latency_ms.p99 < o.slowed.latency_ms.p99),
      });
      out.push({
        target: "100× slow origin: that contestant's p99.9 < 2 × its all-healthy p99",
        figure: `${fmt(best.slowed.latency_ms.p999)} vs 2 × ${fmt(best.baseline.latency_ms.p99)} ms`,
        met: best.slowed.latency_ms.p999 < 2 * best.baseline.latency_ms.p99,
      });
    }
  }
  if (s.killedOrigin) {
    for (const r of s.killedOrigin.rows.filter((x) => x.name.startsWith("flaremesh"))) {
      out.push({
        target: `killed origin, ${r.name}: zero client errors for GETs`,
        figure: `${r.client_errors} of ${int(r.requests)}`,
        met: r.client_errors === 0,
      });
    }
  }
  if (s.controlPlane) {
    for (const [label, r] of [
      [`at ${s.controlPlane.rpc_fixed_rate.req_per_s} req/s`, s.controlPlane.rpc_fixed_rate],
      [`at peak (${s.controlPlane.rpc_peak.req_per_s} req/s)`, s.controlPlane.rpc_peak],
    ]) {
      out.push({
        target: `≤ 1 registry RPC per 1,000 requests ${label}`,
        figure: fmt(r.registry_rpcs_per_1k, 3),
        met: r.registry_rpcs_per_1k <= 1,
      });
    }
  }
  return out;
}

/** The whole report as markdown. */
export function markdown(results) {
  const m = results.machine;
  const parts = [
    `## flaremesh benchmark, ${results.date} (${results.mode})`,
    "",
    `Machine: ${m.cores} cores; load average ${m.load_start.load1} at start, ${m.load_end?.load1 ?? "–"} at end (others' processes included). ` +
      `workerd ${results.versions.workerd}, ${results.versions.nginx}, ${results.versions.haproxy}, ${results.versions.wrk}, Node ${results.versions.node}. ` +
      `Run took ${fmt(results.seconds, 0)} s.`,
  ];
  const s = results.scenarios;
  if (s.overhead) {
    const o = s.overhead;
    const ratios = new Map(overheadRatios(o).map((r) => [r.name, r]));
    parts.push(
      "",
      `### 1. Overhead — ${o.origins}`,
      `Peak: ${o.peak.tool} -c${o.peak.connections}, median of ${o.peak.rounds} × ${o.peak.seconds} s. Latency: open loop at ${o.rate} req/s, ${o.fixed_rate.rounds} × ${o.fixed_rate.seconds} s, from each request's due time (ms).`,
      "",
      table(
        [
          "contestant",
          "peak req/s",
          "÷ passthrough",
          "÷ nginx",
          "p50",
          "p90",
          "p99",
          "p99.9",
          "p50 − passthrough",
          "CPU s/1k req (peak)",
          "CPU s/1k req (fixed)",
          "peak RSS MiB",
          "errors",
        ],
        o.rows.map((r) => {
          const x = ratios.get(r.name);
          const l = r.fixed.latency_ms;
          return [
            r.name,
            int(r.peak_rps),
            fmt(x.rps_vs_passthrough),
            fmt(x.rps_vs_nginx),
            fmt(l.p50, 3),
            fmt(l.p90, 3),
            fmt(l.p99, 3),
            fmt(l.p999, 3),
            fmt(x.added_p50_vs_passthrough_ms, 3),
            fmt(r.peak_cpu_s_per_1k, 3),
            fmt(r.fixed.cpu_s_per_1k, 3),
            fmt(r.peak_rss_mib, 1),
            int(r.peak_errors + r.fixed.error_count),
          ];
        }),
      ),
    );
  }
  for (const [o, title] of [
    [s.slowOrigin, "### 2. Slow origin (Buoyant)"],
    [s.slowOrigin100x, "### 2b. Slow origin, 100×"],
  ]) {
    if (!o) continue;
    parts.push(
      "",
      `${title} — ${o.origins}`,
      `Open loop at ${o.rate} req/s: all-healthy ${o.baseline_s} s, then ${o.slowed_s} s with the slow origin; latency in ms.`,
      "",
      table(
        [
          "contestant",
          "all-healthy p99",
          "slowed p50",
          "slowed p99",
          "slowed p99.9",
          "p99 ÷ all-healthy",
          "to the slow origin while slow",
          "success ≤ 1 s",
          "errors",
        ],
        o.rows.map((r) => [
          r.name,
          fmt(r.baseline.latency_ms.p99),
          fmt(r.slowed.latency_ms.p50),
          fmt(r.slowed.latency_ms.p99),
          fmt(r.slowed.latency_ms.p999),
          fmt(r.p99_vs_baseline),
          pct(r.slow_origin_share),
          pct(r.slowed.success_within_1s),
          int(r.slowed.errors),
        ]),
      ),
    );
  }
  if (s.killedOrigin) {
    const o = s.killedOrigin;
    parts.push(
      "",
      `### 3. Killed origin — ${o.origins}`,
      `Open loop GETs at ${o.rate} req/s for ${o.seconds} s.`,
      "",
      table(
        [
          "contestant",
          "requests",
          "client errors",
          "network / status / timeout",
          "p99 ms",
          "p99.9 ms",
          "success ≤ 1 s",
        ],
        o.rows.map((r) => [
          r.name,
          int(r.requests),
          int(r.client_errors),
          `${r.errors.network} / ${r.errors.status} / ${r.errors.timeout}`,
          fmt(r.latency_ms.p99),
          fmt(r.latency_ms.p999),
          pct(r.success_within_1s),
        ]),
      ),
    );
  }
  if (s.controlPlane) {
    const c = s.controlPlane;
    const b = c.big;
    parts.push(
      "",
      `### 4. Control plane — ${c.layout}`,
      "",
      table(
        ["measure", "value"],
        [
          [`registry RPCs per 1,000 proxied requests, ${c.rpc_fixed_rate.req_per_s} req/s`, rpcCell(c.rpc_fixed_rate)],
          [`registry RPCs per 1,000 proxied requests, peak ${c.rpc_peak.req_per_s} req/s`, rpcCell(c.rpc_peak)],
          [
            "log-buffer RPCs per 1,000 proxied requests (fixed / peak)",
            `${fmt(c.rpc_fixed_rate.log_buffer_rpcs_per_1k, 3)} / ${fmt(c.rpc_peak.log_buffer_rpcs_per_1k, 3)}`,
          ],
          [
            "register → routable on another isolate, ms (median / max)",
            `${fmt(c.register_to_routable_ms.median, 0)} / ${fmt(c.register_to_routable_ms.max, 0)}`,
          ],
          [
            "registry writes/s (sequential origin PUTs)",
            `${int(c.registry_writes.per_s)} (p50 ${fmt(c.registry_writes.latency_ms.p50)} ms, p99 ${fmt(c.registry_writes.latency_ms.p99)} ms)`,
          ],
          [
            `origins registered (target ${int(b.target)}, ${b.concurrency} in parallel)`,
            `${int(b.registered)} in ${fmt(b.seconds, 1)} s (${int(b.per_s)}/s)`,
          ],
          [
            `GET /catalog with ${int(b.registered)} origins`,
            `${int(b.catalog.bytes)} bytes, ${fmt(b.catalog.ms_median, 1)} ms`,
          ],
          [
            "forced routing-table refresh (first request after a write, minus a warm one), ms",
            fmt(b.forced_refresh.refresh_ms_median, 1),
          ],
          [
            `register → routable with ${int(b.registered)} origins, ms (median / max)`,
            `${fmt(b.register_to_routable_ms.median, 0)} / ${fmt(b.register_to_routable_ms.max, 0)}`,
          ],
          [
            `proxy p50 / p99 ms: 5-origin service vs ${int(b.registered)}-origin service`,
            `${fmt(b.proxy_small_service.p50, 3)} / ${fmt(b.proxy_small_service.p99, 3)} vs ${fmt(b.proxy_big_service.p50, 3)} / ${fmt(b.proxy_big_service.p99, 3)}`,
          ],
        ],
      ),
    );
  }
  const t = targets(results);
  if (t.length)
    parts.push(
      "",
      "### Targets",
      "",
      table(
        ["target", "this run", "met"],
        t.map((x) => [x.target, x.figure, x.met ? "yes" : "**no**"]),
      ),
    );
  return `${parts.join("\n")}\n`;
}
