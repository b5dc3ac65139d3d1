import { type CounterDeltas, parseSeriesKey } from "./counters";

/** Most data points one flush writes: Workers allow 250 per invocation, and a flush shares its invocation. */
export const MAX_POINTS_PER_FLUSH = 200;

/**
 * Writes a flush's counter deltas to Workers Analytics Engine as well, when
 * a dataset is bound (`MESH_ANALYTICS`): one data point per series, indexed
 * by metric name, with blobs `[name, service, origin, code, labels JSON]`
 * and the delta as its one double, so `SUM(_sample_interval * double1)`
 * grouped by blobs gives the same totals as `/_mesh/metrics`. Histogram
 * buckets are left out (`_sum` and `_count` are kept): they would take
 * most of the 250 data points an invocation may write. Never throws.
 * @example writeAnalytics(env.MESH_ANALYTICS, deltas)
 */
export function writeAnalytics(dataset: AnalyticsEngineDataset | undefined, deltas: CounterDeltas): number {
  if (dataset === undefined) return 0;
  let written = 0;
  for (const [series, value] of deltas) {
    if (written >= MAX_POINTS_PER_FLUSH) break;
    const { name, labels } = parseSeriesKey(series);
    if (name.endsWith("_bucket")) continue;
    try {
      dataset.writeDataPoint({
        indexes: [name],
        blobs: [name, labels.service ?? "", labels.origin ?? "", labels.code ?? "", JSON.stringify(labels)],
        doubles: [value],
      });
      written++;
    } catch (err) {
      console.error("analytics engine write failed", err);
      return written;
    }
  }
  return written;
}
