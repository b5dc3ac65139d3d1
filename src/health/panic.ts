/**
 * Whether too few origins are healthy (`healthy/total × 100 < threshold`),
 * in which case the picker routes to all of them rather than to none, as
 * Envoy does. Threshold 0 disables panic mode; no origins is never panic.
 * @example inPanic(1, 4, 50) // true
 */
export function inPanic(healthy: number, total: number, thresholdPercent: number): boolean {
  if (thresholdPercent <= 0 || total <= 0) return false;
  // Integer arithmetic keeps the boundary exact (2 of 4 at 50% is not panic).
  return healthy * 100 < thresholdPercent * total;
}
