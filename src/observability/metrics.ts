import { registry } from "../clients/registry";
import type { MeshEnv } from "../config";
import type { BufferStats } from "../model/log-buffer";
import { STATUSES } from "../model/origin";
import type { ServiceConfig } from "../model/service";
import type { OriginState } from "../model/stats";
import { type CounterDeltas, LATENCY_BUCKETS_S, parseSeriesKey, seriesKey } from "./counters";
import type { Family, Sample } from "./prometheus";
import { storedMetrics } from "./log-shards";
import { flushRecorder } from "./record";

export type { OriginState };

/** Everything the metrics are computed from: stored counters, log-buffer totals, registry state. */
export interface MeshMetrics {
  counters: CounterDeltas;
  buffer: BufferStats;
  registryVersion: number;
  services: ServiceConfig[];
  origins: OriginState[];
}

/**
 * Gathers the metrics: flushes this isolate's pending counters first (so a
 * scrape sees its own traffic), then reads the stored counters from the log
 * buffer and the health state from the registry.
 * @example const text = renderPrometheus(metricFamilies(await collectMetrics(env)))
 */
export async function collectMetrics(env: MeshEnv): Promise<MeshMetrics> {
  await flushRecorder(env);
  const [stored, state] = await Promise.all([storedMetrics(env), registry(env).metricsState()]);
  return {
    counters: stored.counters,
    buffer: stored.buffer,
    registryVersion: state.version,
    services: state.services,
    origins: state.origins,
  };
}

const STORED: readonly Omit<Family, "samples">[] = [
  {
    name: "mesh_requests_total",
    type: "counter",
    help: "Proxied requests by service, origin and status class (code=2xx…5xx).",
  },
  {
    name: "mesh_request_duration_seconds",
    type: "histogram",
    help: "Total request duration as the mesh measured it, retries included.",
  },
  {
    name: "mesh_upstream_duration_seconds",
    type: "histogram",
    help: "Time the origin took to answer the final attempt.",
  },
  { name: "mesh_retries_total", type: "counter", help: "Retries made (attempts after the first)." },
  { name: "mesh_ejections_total", type: "counter", help: "Origins ejected by passive outlier detection." },
  {
    name: "mesh_registry_rpc_total",
    type: "counter",
    help: "Calls from Worker isolates to the Registry Durable Object.",
  },
];

/**
 * The metric families of `GET /_mesh/metrics`.
 * @example metricFamilies(await collectMetrics(env))
 */
export function metricFamilies(m: MeshMetrics): Family[] {
  const stored = new Map<string, Sample[]>(STORED.map((f) => [f.name, []]));
  for (const [key, value] of m.counters) {
    const { name, labels } = parseSeriesKey(key);
    const family = stored.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
    stored.get(family)?.push({ name, labels, value });
  }
  for (const f of STORED) if (f.type === "histogram") fillBuckets(f.name, stored.get(f.name)!);
  const perOrigin = (o: OriginState) => ({ service: o.service, origin: o.id });
  const perSink = (fn: (s: BufferStats["sinks"][number]) => number) =>
    m.buffer.sinks.map((s) => ({ name: "", labels: { sink: s.name }, value: fn(s) }));
  const families: Family[] = [
    ...STORED.map((f) => ({ ...f, samples: stored.get(f.name)! })),
    {
      name: "mesh_origin_health_status",
      type: "gauge",
      help: "1 for an origin's current health status, 0 for the others.",
      samples: m.origins.flatMap((o) =>
        STATUSES.map((status) => ({
          name: "",
          labels: { ...perOrigin(o), status },
          value: o.status === status ? 1 : 0,
        })),
      ),
    },
    {
      name: "mesh_health_check_duration_seconds",
      type: "gauge",
      help: "Latency of each origin's last active health check.",
      samples: m.origins
        .filter((o) => o.last_check_ms !== null)
        .map((o) => ({ name: "", labels: perOrigin(o), value: o.last_check_ms! / 1000 })),
    },
    {
      name: "mesh_logs_buffered",
      type: "gauge",
      help: "Request-log entries waiting to be shipped, per sink.",
      samples: perSink((s) => s.pending),
    },
    {
      name: "mesh_logs_shipped_total",
      type: "counter",
      help: "Request-log entries a sink acknowledged.",
      samples: perSink((s) => s.shipped),
    },
    {
      name: "mesh_logs_dropped_total",
      type: "counter",
      help: "Request-log entries dropped (buffer full) before a sink acknowledged them.",
      samples: perSink((s) => s.dropped),
    },
    {
      name: "mesh_log_sink_consecutive_failures",
      type: "gauge",
      help: "Failed deliveries to a sink since its last success.",
      samples: perSink((s) => s.failures),
    },
    {
      name: "mesh_log_buffer_entries",
      type: "gauge",
      help: "Request-log entries held by the log buffer.",
      samples: [{ name: "", labels: {}, value: m.buffer.entries }],
    },
    {
      name: "mesh_log_buffer_bytes",
      type: "gauge",
      help: "Bytes of request-log entries held by the log buffer.",
      samples: [{ name: "", labels: {}, value: m.buffer.bytes }],
    },
    {
      name: "mesh_log_buffer_max_entries",
      type: "gauge",
      help: "The log buffer's entry bound (MESH_LOG_BUFFER_MAX).",
      samples: [{ name: "", labels: {}, value: m.buffer.max_entries }],
    },
    {
      name: "mesh_logs_evicted_total",
      type: "counter",
      help: "Request-log entries dropped (buffer full) before every sink acknowledged them.",
      samples: [{ name: "", labels: {}, value: m.buffer.evicted }],
    },
    {
      name: "mesh_logs_isolate_dropped_total",
      type: "counter",
      help: "Request-log entries Worker isolates dropped because the log buffer was unreachable.",
      samples: [{ name: "", labels: {}, value: m.buffer.isolate_dropped }],
    },
  ];
  // Samples built above leave `name` empty: it is the family's own name.
  return families.map((f) => ({ ...f, samples: f.samples.map((s) => (s.name === "" ? { ...s, name: f.name } : s)) }));
}

/** Only buckets that saw an observation are stored; the rest of every label set's buckets are 0 (buckets are cumulative). */
function fillBuckets(family: string, samples: Sample[]): void {
  const present = new Set(samples.filter((s) => s.name.endsWith("_bucket")).map((s) => seriesKey(s.name, s.labels)));
  for (const { labels } of samples.filter((s) => s.name === `${family}_count`)) {
    for (const le of [...LATENCY_BUCKETS_S.map(String), "+Inf"]) {
      const bucket = { name: `${family}_bucket`, labels: { ...labels, le }, value: 0 };
      if (!present.has(seriesKey(bucket.name, bucket.labels))) samples.push(bucket);
    }
  }
}
