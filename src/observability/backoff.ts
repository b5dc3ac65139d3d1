/** Wait after a sink's first failure before it is tried again… */
export const BACKOFF_BASE_MS = 5_000;
/** …doubling with every further failure, up to this. */
export const BACKOFF_CAP_MS = 5 * 60_000;

/**
 * How long a sink rests after its `failures`-th consecutive failure:
 * 5 s, 10 s, 20 s, … capped at 5 minutes. With the minutely cron, a sink
 * that keeps failing is retried every run at first, then every few runs,
 * and at least every 5 minutes — while the other sinks ship every run.
 * @example sinkBackoffMs(3) // 20_000
 */
export function sinkBackoffMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(failures - 1, 30));
}
