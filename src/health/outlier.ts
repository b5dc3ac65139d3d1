import { type HealthState, stampRecovery } from "./state";

/** Passive outlier detection settings (the service's `outlier_detection`). */
export interface OutlierConfig {
  consecutive_failures: number;
  base_ejection_s: number;
  max_ejection_percent: number;
}

/**
 * Cap on the ejection back-off: the n-th ejection lasts
 * `base_ejection_s × min(n, MAX_EJECTION_MULTIPLIER)`, so a persistently bad
 * origin is retried at least every 10 × base (5 minutes with the default 30s).
 */
export const MAX_EJECTION_MULTIPLIER = 10;

/**
 * Records one proxied request's outcome (Envoy's consecutive-5xx detector).
 * After `consecutive_failures` failures in a row the origin is ejected, if
 * `canEject` (see `ejectionAllowed`); otherwise it stays and keeps counting.
 *
 * Outcomes that arrive while the origin is ejected are ignored: they come
 * from requests already in flight and must not stretch the ejection.
 * The back-off decays: a success after the origin has been routable for the
 * longest ejection time (base × cap) resets `ejection_count` to 0.
 * @example recordPassive(h, true, { consecutive_failures: 5, base_ejection_s: 30, max_ejection_percent: 50 }, now, true)
 */
export function recordPassive(
  state: HealthState,
  failed: boolean,
  cfg: OutlierConfig,
  now: number,
  canEject: boolean,
): { state: HealthState; ejected: boolean; reason: string | null } {
  if (state.ejected_until !== null && state.ejected_until > now) return { state, ejected: false, reason: null };
  if (!failed) {
    const calmFor = state.healthy_since === null ? 0 : now - state.healthy_since;
    const decayed =
      state.ejection_count > 0 &&
      state.ejected_until === null &&
      calmFor >= cfg.base_ejection_s * MAX_EJECTION_MULTIPLIER * 1000;
    return {
      state: { ...state, passive_failures: 0, ejection_count: decayed ? 0 : state.ejection_count },
      ejected: false,
      reason: null,
    };
  }
  const failures = state.passive_failures + 1;
  if (failures < cfg.consecutive_failures || !canEject) {
    return { state: { ...state, passive_failures: failures }, ejected: false, reason: null };
  }
  const count = state.ejection_count + 1;
  const seconds = cfg.base_ejection_s * Math.min(count, MAX_EJECTION_MULTIPLIER);
  return {
    state: { ...state, passive_failures: 0, ejection_count: count, ejected_until: now + seconds * 1000 },
    ejected: true,
    reason: `outlier: ${failures} consecutive failures, ejected for ${seconds}s`,
  };
}

/**
 * Whether one more origin may be ejected with `ejected/total ≤ maxPercent`.
 * Unlike Envoy, which always allows one ejection, the percentage is strict:
 * at 50% a lone origin is never ejected (there would be nothing left), two
 * origins allow one. 0 never ejects; 100 may eject all (panic mode then
 * routes to them anyway).
 * @example ejectionAllowed(0, 2, 50) // true
 */
export function ejectionAllowed(ejectedNow: number, total: number, maxPercent: number): boolean {
  // Integer arithmetic: 1/3 in floating point would misjudge the 33%/66% edges.
  return total > 0 && (ejectedNow + 1) * 100 <= maxPercent * total;
}

/**
 * Ends an ejection whose time has passed. If nothing else holds the origin
 * back, its slow start restarts now.
 * @example releaseExpired(h, now).reason // "outlier: ejection expired"
 */
export function releaseExpired(state: HealthState, now: number): { state: HealthState; reason: string | null } {
  if (state.ejected_until === null || state.ejected_until > now) return { state, reason: null };
  const next = { ...state, ejected_until: null, passive_failures: 0 };
  return { state: stampRecovery(state, next, now), reason: "outlier: ejection expired" };
}

/** What an isolate reports of an ejection it decided (see `EjectionReport` in src/model/ejection.ts). */
export interface ReportedEjection {
  ejected_until: number;
  reason: string;
}

/**
 * The registry's verdict on an ejection an isolate reported: the origin's new health, or null
 * when the report is ignored — it has already run out, the origin is already ejected, the service
 * has no outlier detection (`cfg` null), or one more ejection would exceed `max_ejection_percent`
 * of `peers` (the health of the service's enabled, non-draining origins, this one included), so
 * that the limit holds across all isolates' reports and not only within each isolate.
 * @example applyEjectionReport(h, { ejected_until: now + 30_000, reason }, cfg, peers, now)?.state.ejection_count
 */
export function applyEjectionReport(
  state: HealthState,
  report: ReportedEjection,
  cfg: OutlierConfig | null,
  peers: readonly HealthState[],
  now: number,
): { state: HealthState; reason: string } | null {
  if (report.ejected_until <= now) return null;
  if (state.ejected_until !== null && state.ejected_until > now) return null;
  if (cfg === null) return null;
  const ejected = peers.filter((p) => (p.ejected_until ?? 0) > now).length;
  if (!ejectionAllowed(ejected, peers.length, cfg.max_ejection_percent)) return null;
  return {
    state: {
      ...state,
      ejected_until: report.ejected_until,
      ejection_count: state.ejection_count + 1,
      passive_failures: 0,
    },
    reason: report.reason,
  };
}
