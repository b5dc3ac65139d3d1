// @ts-check
// Shared by the dashboard page (loaded as an ES module from /_mesh/ui/quantile.js) and the Worker
// (src/observability/stats.ts imports it), so that both compute percentiles the same way.

/**
 * The q-quantile of a cumulative histogram in ms (`counts[i]` observations
 * took at most `le[i]` seconds, `+Inf` last), interpolated linearly within its
 * bucket as Prometheus' histogram_quantile does, rounded to the µs; null
 * without observations (or when a difference of two readings went negative).
 * In the `+Inf` bucket it answers the largest finite bound.
 * @param {{ le: readonly string[]; counts: readonly number[] }} h
 * @param {number} q in [0, 1]
 * @returns {number | null}
 * @example histogramQuantile({ le: ["0.1", "0.25", "+Inf"], counts: [90, 100, 100] }, 0.99) // 235
 */
export function histogramQuantile(h, q) {
  const total = h.counts[h.counts.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (let i = 0; i < h.le.length; i++) {
    const le = h.le[i] === "+Inf" ? Number.POSITIVE_INFINITY : Number(h.le[i]);
    const count = h.counts[i] ?? 0;
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return prevLe * 1000;
      const inBucket = count - prevCount;
      const fraction = inBucket === 0 ? 1 : (rank - prevCount) / inBucket;
      return Math.round((prevLe + (le - prevLe) * fraction) * 1_000_000) / 1000;
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe * 1000;
}
