import { ejectionAllowed, recordPassive } from "../health/outlier";
import { initialHealth, type HealthState } from "../health/state";
import type { EjectionReport } from "../model/ejection";
import type { OutlierDetection } from "../model/service";

/**
 * Passive outlier detection in one isolate: it counts consecutive failures
 * per origin, ejects locally at once (so this isolate stops sending traffic
 * before the registry has heard of it) and queues a report for the registry,
 * which makes the ejection visible to every isolate and the admin API.
 */
export class PassiveHealth {
  readonly #states = new Map<string, HealthState>();
  readonly #ejectedUntil = new Map<string, number>();
  #pending: EjectionReport[] = [];
  /** Grows with every local ejection, so memoized eligible sets know to recompute. */
  generation = 0;

  /** Whether this isolate has ejected the origin and the ejection still runs. */
  isEjected(key: string, now: number): boolean {
    const until = this.#ejectedUntil.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#ejectedUntil.delete(key);
    this.generation++;
    return false;
  }

  /**
   * Records one proxied request's outcome; returns the ejection it caused, if any.
   * `ejectedInService` and `total` bound ejections by `max_ejection_percent`. `key` is
   * `service/origin` (the eligible set's endpoint id, so the hot path passes it rather than
   * building it); a success at an origin with no failure on record allocates nothing.
   */
  record(
    service: string,
    origin: string,
    failed: boolean,
    cfg: OutlierDetection | null,
    now: number,
    ejectedInService: number,
    total: number,
    key = `${service}/${origin}`,
  ): EjectionReport | null {
    if (cfg === null) return null;
    const known = this.#states.get(key);
    if (!failed && (known === undefined || (known.passive_failures === 0 && known.ejection_count === 0))) return null;
    const before = known ?? { ...initialHealth(now), healthy_since: null };
    const canEject = ejectionAllowed(ejectedInService, total, cfg.max_ejection_percent);
    const result = recordPassive(before, failed, cfg, now, canEject);
    this.#states.set(key, result.state);
    if (!result.ejected || result.state.ejected_until === null) return null;
    this.#ejectedUntil.set(key, result.state.ejected_until);
    this.generation++;
    const report = { service, origin, ejected_until: result.state.ejected_until, reason: result.reason ?? "outlier" };
    this.#pending.push(report);
    return report;
  }

  /** Takes the reports not yet sent. */
  drain(): EjectionReport[] {
    const out = this.#pending;
    this.#pending = [];
    return out;
  }

  /** Forgets origins that are gone (keys not in `keep`): their failure streaks and local ejections. */
  forget(keep: ReadonlySet<string>): void {
    for (const key of this.#states.keys()) if (!keep.has(key)) this.#states.delete(key);
    for (const key of this.#ejectedUntil.keys()) if (!keep.has(key)) this.#ejectedUntil.delete(key);
  }
}
