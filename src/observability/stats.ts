import { histogramQuantile } from "../dashboard/quantile.js";
import { poolStates } from "../health/pool-state";
import type { RegionHealthMap } from "../model/region";
import type { Histogram, MeshStats, TrafficStats } from "../model/stats";
import { LATENCY_BUCKETS_S, parseSeriesKey } from "./counters";
import type { MeshMetrics } from "./metrics";

const LE = [...LATENCY_BUCKETS_S.map(String), "+Inf"];

function emptyTraffic(): TrafficStats {
  const hist = (): Histogram => ({ le: [...LE], counts: LE.map(() => 0), sum: 0, count: 0 });
  return {
    requests: 0,
    by_class: {},
    errors: 0,
    retries: 0,
    ejections: 0,
    latency: hist(),
    upstream: hist(),
    p50_ms: null,
    p99_ms: null,
  };
}

/** Service → origin id → what each checker region sees (`Registry.regionHealth`). */
export type RegionViews = Record<string, Record<string, RegionHealthMap>>;

/**
 * Per-service and per-origin traffic with health, from the stored counters
 * and the registry (with each origin's per-region view and each pool's
 * state): what the dashboard draws.
 * @example const stats = meshStats(await collectMetrics(env), Date.now(), await registry(env).regionHealth())
 */
export function meshStats(m: MeshMetrics, now: number, regionViews: RegionViews = {}): MeshStats {
  const traffic = new Map<string, TrafficStats>();
  const at = (service: string, origin: string) => {
    const key = JSON.stringify([service, origin]);
    let t = traffic.get(key);
    if (!t) traffic.set(key, (t = emptyTraffic()));
    return t;
  };
  for (const [key, value] of m.counters) {
    const { name, labels } = parseSeriesKey(key);
    const t = at(labels.service ?? "", labels.origin ?? "");
    if (name === "mesh_requests_total") {
      const code = labels.code ?? "other";
      t.requests += value;
      t.by_class[code] = (t.by_class[code] ?? 0) + value;
      if (code === "5xx") t.errors += value;
    } else if (name === "mesh_retries_total") t.retries += value;
    else if (name === "mesh_ejections_total") t.ejections += value;
    else {
      const hist = name.startsWith("mesh_request_duration_seconds_")
        ? t.latency
        : name.startsWith("mesh_upstream_duration_seconds_")
          ? t.upstream
          : null;
      if (!hist) continue;
      if (name.endsWith("_sum")) hist.sum += value;
      else if (name.endsWith("_count")) hist.count += value;
      else {
        const i = hist.le.indexOf(labels.le ?? "");
        if (i >= 0) hist.counts[i]! += value;
      }
    }
  }
  for (const t of traffic.values()) {
    t.p50_ms = histogramQuantile(t.latency, 0.5);
    t.p99_ms = histogramQuantile(t.latency, 0.99);
  }
  const services = m.services.map((s) => {
    const origins = m.origins.filter((o) => o.service === s.name);
    const regions = s.health_check?.regions ?? [];
    return {
      name: s.name,
      routes: s.routes,
      regions,
      pools: poolStates(s.pools ?? {}, origins),
      origins: origins.map(({ service: _service, ...o }) => {
        const view = regions.length > 0 ? regionViews[s.name]?.[o.id] : undefined;
        return {
          ...o,
          ...(traffic.get(JSON.stringify([s.name, o.id])) ?? emptyTraffic()),
          ...(view ? { regions: view } : {}),
        };
      }),
      unattributed: traffic.get(JSON.stringify([s.name, ""])) ?? emptyTraffic(),
    };
  });
  return {
    at: new Date(now).toISOString(),
    version: m.registryVersion,
    services,
    unrouted: traffic.get(JSON.stringify(["", ""])) ?? emptyTraffic(),
    logs: m.buffer,
  };
}
