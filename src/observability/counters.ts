import type { RequestOutcome } from "../model/outcome";

/** Upper bounds (seconds) of the latency histogram buckets; `+Inf` is implied. */
export const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/** Labels of one series, in the order they are rendered. */
export type Labels = Record<string, string>;

/** A series as stored and sent: `JSON.stringify([name, labels])`. */
export type SeriesKey = string;

/** `[series, delta]` pairs: what an isolate adds to the stored counters. */
export type CounterDeltas = [SeriesKey, number][];

/** The key of a series. */
export function seriesKey(name: string, labels: Labels = {}): SeriesKey {
  return JSON.stringify([name, labels]);
}

/** The name and labels of a series key. */
export function parseSeriesKey(key: SeriesKey): { name: string; labels: Labels } {
  const [name, labels] = JSON.parse(key) as [string, Labels];
  return { name, labels };
}

const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"] as const;

/** The index in STATUS_CLASSES of `2xx`…`5xx`, or of `other` for a status outside 100–599 (e.g. 0 for an aborted request). */
function statusClassIndex(status: number): number {
  return status >= 100 && status <= 599 ? Math.floor(status / 100) - 1 : STATUS_CLASSES.length - 1;
}

/**
 * A histogram's label set and the keys it counts under, made once and kept:
 * making keys is most of what counting allocates. The `_bucket` keys (one per
 * bound, `+Inf` last) are made at the first drain.
 */
export class HistogramSeries {
  readonly key: SeriesKey;
  #drainKeys: { buckets: SeriesKey[]; sum: SeriesKey; count: SeriesKey } | undefined;

  constructor(
    readonly family: string,
    readonly labels: Labels,
  ) {
    this.key = seriesKey(family, labels);
  }

  /** The `_bucket`, `_sum` and `_count` keys the histogram drains into. */
  drainKeys(): { buckets: SeriesKey[]; sum: SeriesKey; count: SeriesKey } {
    const { family, labels } = this;
    return (this.#drainKeys ??= {
      buckets: [...LATENCY_BUCKETS_S.map(String), "+Inf"].map((le) => seriesKey(`${family}_bucket`, { ...labels, le })),
      sum: seriesKey(`${family}_sum`, labels),
      count: seriesKey(`${family}_count`, labels),
    });
  }
}

/** One histogram's deltas: per-bucket (not yet cumulative) counts, `+Inf` last. */
interface HistogramDelta {
  series: HistogramSeries;
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * Counter deltas accumulated in isolate memory between two flushes. A
 * histogram observation is one array increment; `drain` turns histograms
 * into cumulative `_bucket` series (only those above zero), `_sum` and `_count`.
 * @example const c = new Counters(); c.add("mesh_retries_total", { service: "users", origin: "u1" }, 2)
 */
export class Counters {
  private readonly deltas = new Map<SeriesKey, number>();
  private readonly histograms = new Map<SeriesKey, HistogramDelta>();

  add(name: string, labels: Labels, value = 1): void {
    this.addTo(seriesKey(name, labels), value);
  }

  /** `add` to a series whose key the caller keeps. */
  addTo(key: SeriesKey, value = 1): void {
    if (value === 0) return;
    this.deltas.set(key, (this.deltas.get(key) ?? 0) + value);
  }

  observe(series: HistogramSeries, seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    let h = this.histograms.get(series.key);
    if (!h)
      this.histograms.set(
        series.key,
        (h = { series, buckets: new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(0), sum: 0, count: 0 }),
      );
    let i = 0;
    while (i < LATENCY_BUCKETS_S.length && seconds > LATENCY_BUCKETS_S[i]!) i++;
    h.buckets[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** Adds deltas back (after a failed flush). */
  merge(deltas: CounterDeltas): void {
    for (const [key, value] of deltas) this.deltas.set(key, (this.deltas.get(key) ?? 0) + value);
  }

  get size(): number {
    return this.deltas.size + this.histograms.size;
  }

  /** Takes every delta, leaving none. */
  drain(): CounterDeltas {
    for (const h of this.histograms.values()) {
      const keys = h.series.drainKeys();
      let cumulative = 0;
      for (let i = 0; i < h.buckets.length; i++) this.addTo(keys.buckets[i]!, (cumulative += h.buckets[i]!));
      this.addTo(keys.sum, h.sum);
      this.addTo(keys.count, h.count);
    }
    this.histograms.clear();
    const out = [...this.deltas];
    this.deltas.clear();
    return out;
  }
}

/** The series one origin's requests count in; keys are made when first needed, then kept. */
interface OriginSeries {
  where: Labels;
  /** `mesh_requests_total` keys by status class. */
  requests: (SeriesKey | undefined)[];
  duration: HistogramSeries;
  upstream: HistogramSeries;
  retries: SeriesKey | undefined;
  /** The same origin's series with a `pool` label, by pool, for requests steering sent there. */
  pools: Map<string, OriginSeries> | undefined;
}

/** Origins whose series are kept (≈4 KB each once drained); past it the cache starts over, as origins come and go. */
const ORIGIN_SERIES_MAX = 256;
const originSeries = new Map<string, Map<string, OriginSeries>>();
let originSeriesCount = 0;

function newSeries(where: Labels): OriginSeries {
  originSeriesCount++;
  return {
    where,
    requests: [],
    duration: new HistogramSeries("mesh_request_duration_seconds", where),
    upstream: new HistogramSeries("mesh_upstream_duration_seconds", where),
    retries: undefined,
    pools: undefined,
  };
}

// An unsteered request's series have no `pool` label, as before steering existed. A steered one's
// `pool` is the origin's zone or `*` (panic), so it at most doubles an origin's series.
function seriesOf(service: string, origin: string, pool: string | null): OriginSeries {
  let series = originSeries.get(service)?.get(origin);
  if (!series) {
    if (originSeriesCount >= ORIGIN_SERIES_MAX) {
      originSeries.clear();
      originSeriesCount = 0;
    }
    series = newSeries({ service, origin });
    let byOrigin = originSeries.get(service);
    if (!byOrigin) originSeries.set(service, (byOrigin = new Map()));
    byOrigin.set(origin, series);
  }
  if (pool === null) return series;
  let pooled = series.pools?.get(pool);
  if (!pooled) (series.pools ??= new Map()).set(pool, (pooled = newSeries({ service, origin, pool })));
  return pooled;
}

/** Adds what one proxied request contributes to the metrics. */
export function countOutcome(counters: Counters, o: RequestOutcome): void {
  const s = seriesOf(o.service ?? "", o.origin_id ?? "", o.pool);
  const c = statusClassIndex(o.status);
  counters.addTo((s.requests[c] ??= seriesKey("mesh_requests_total", { ...s.where, code: STATUS_CLASSES[c]! })));
  counters.observe(s.duration, o.duration_ms / 1000);
  if (o.upstream_ms !== null) counters.observe(s.upstream, o.upstream_ms / 1000);
  if (o.attempts > 1) counters.addTo((s.retries ??= seriesKey("mesh_retries_total", s.where)), o.attempts - 1);
  if (o.ejected) counters.add("mesh_ejections_total", { service: o.ejected.service, origin: o.ejected.origin });
}
