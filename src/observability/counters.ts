import type { RequestOutcome } from "./record";

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

/** `2xx`…`5xx`, or `other` for a status outside 100–599 (e.g. 0 for an aborted request). */
export function statusClass(status: number): string {
  return status >= 100 && status <= 599 ? `${Math.floor(status / 100)}xx` : "other";
}

/** One label set's histogram deltas: per-bucket (not yet cumulative) counts, `+Inf` last. */
interface HistogramDelta {
  family: string;
  labels: Labels;
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
  private readonly histograms = new Map<string, HistogramDelta>();

  add(name: string, labels: Labels, value = 1): void {
    if (value === 0) return;
    const key = seriesKey(name, labels);
    this.deltas.set(key, (this.deltas.get(key) ?? 0) + value);
  }

  observe(family: string, labels: Labels, seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    const key = seriesKey(family, labels);
    let h = this.histograms.get(key);
    if (!h) this.histograms.set(key, (h = { family, labels, buckets: new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(0), sum: 0, count: 0 }));
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
      let cumulative = 0;
      h.buckets.forEach((n, i) => {
        cumulative += n;
        this.add(`${h.family}_bucket`, { ...h.labels, le: i < LATENCY_BUCKETS_S.length ? String(LATENCY_BUCKETS_S[i]) : "+Inf" }, cumulative);
      });
      this.add(`${h.family}_sum`, h.labels, h.sum);
      this.add(`${h.family}_count`, h.labels, h.count);
    }
    this.histograms.clear();
    const out = [...this.deltas];
    this.deltas.clear();
    return out;
  }
}

/** Adds what one proxied request contributes to the metrics. */
export function countOutcome(counters: Counters, o: RequestOutcome): void {
  const where = { service: o.service ?? "", origin: o.origin_id ?? "" };
  counters.add("mesh_requests_total", { ...where, code: statusClass(o.status) });
  counters.observe("mesh_request_duration_seconds", where, o.duration_ms / 1000);
  if (o.upstream_ms !== null) counters.observe("mesh_upstream_duration_seconds", where, o.upstream_ms / 1000);
  if (o.attempts > 1) counters.add("mesh_retries_total", where, o.attempts - 1);
  if (o.ejected) counters.add("mesh_ejections_total", { service: o.ejected.service, origin: o.ejected.origin });
}
