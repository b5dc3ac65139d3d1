import { applyStreak } from "../src/health/active";
import { initialRegionState, type RegionState } from "../src/health/region";
import { applyVote, decide, type RegionVote, tally } from "../src/health/vote";
import type { RegionResult, RegionTask } from "../src/model/region";
import type { HealthCheck, ServiceInput } from "../src/model/service";
import { commitOrigin } from "./health-ops";
import { JITTER } from "./health-loop";
import type { RegionRow, RegionStore } from "./region-store";
import { configOf, healthOf, type OriginRow } from "./rows";
import type { RegistryStore } from "./store";

/** A service whose checks run from regional checkers. */
export interface RegionalService {
  name: string;
  hc: HealthCheck;
  regions: readonly string[];
  /** `tls.client_certificate_binding`: checks go through it (mTLS to origins). */
  clientCertificate: string | null;
}

/** What `takeRegionChecks` hands a checker: its checks, and when it should wake next if it has none. */
export interface RegionRound {
  tasks: RegionTask[];
  next_wake: number | null;
}

/**
 * The checker regions of a service configuration: `health_check.regions`,
 * or none when checks are off (then, as with `[]`, the Registry's own loop
 * decides, see `RegistryStore.dueChecks`).
 * @example regionsOf(config) // ["wnam", "weur"]
 */
export function regionsOf(config: ServiceInput | null): readonly string[] {
  return config?.health_check?.regions ?? [];
}

/**
 * Every service with regions (or just `name`, if it has regions), its stored config read with today's
 * defaults; unreadable ones are skipped. Services without regions are not even parsed.
 */
export function regionalServices(regions: RegionStore, name?: string): RegionalService[] {
  const out: RegionalService[] = [];
  for (const row of regions.candidateServices(name)) {
    try {
      const config = configOf(row);
      const hc = config.health_check;
      const clientCertificate = config.tls?.client_certificate_binding ?? null;
      if (hc && (hc.regions?.length ?? 0) > 0) out.push({ name: row.name, hc, regions: hc.regions, clientCertificate });
    } catch (err) {
      console.error(`health: config of service ${row.name} is unreadable: ${String(err)}`);
    }
  }
  return out;
}

interface Target {
  service: RegionalService;
  origin: OriginRow;
  /** This region's row about the origin's current URL, or null (never checked from here, or another URL). */
  row: RegionRow | null;
}

/** What `region` checks: every enabled origin of every service listing it (disabled origins are not checked). */
function targets(store: RegistryStore, regions: RegionStore, region: string): Target[] {
  const out: Target[] = [];
  for (const service of regionalServices(regions)) {
    if (!service.regions.includes(region)) continue;
    const rows = new Map(regions.regionRows(region, service.name).map((r) => [r.origin, r]));
    for (const origin of store.originRows(service.name)) {
      // `disabled` while enabled: the origin policy refuses its URL (origin-policy.ts), so it is never fetched.
      if (origin.enabled !== 1 || origin.status === "disabled") continue;
      const row = rows.get(origin.id);
      out.push({ service, origin, row: row && row.url === origin.url ? row : null });
    }
  }
  return out;
}

const dueAt = (t: Target) => t.row?.next_check_at ?? 0;

/** When `region`'s checker must run next: its most overdue check; null when it has nothing to check. */
export function regionNextWake(store: RegistryStore, regions: RegionStore, region: string): number | null {
  let next: number | null = null;
  for (const t of targets(store, regions, region)) next = next === null ? dueAt(t) : Math.min(next, dueAt(t));
  return next;
}

/**
 * Hands `region`'s checker its due checks, the most overdue first, at most
 * `budget` (its alarm run's outbound fetches, MESH_SUBREQUEST_BUDGET), and
 * schedules each one's next check from this region — the service's
 * interval with jitter — before any runs, as the Registry's own loop does.
 */
export function takeRegionChecks(
  store: RegistryStore,
  regions: RegionStore,
  region: string,
  now: number,
  rng: () => number,
  budget: number,
): RegionRound {
  return store.transaction(() => {
    const due = targets(store, regions, region)
      .filter((t) => dueAt(t) <= now)
      .sort((a, b) => dueAt(a) - dueAt(b))
      .slice(0, Math.max(0, budget));
    const tasks: RegionTask[] = [];
    for (const { service, origin, row } of due) {
      const jitter = 1 + (rng() * 2 - 1) * JITTER;
      regions.write({
        service: service.name,
        origin: origin.id,
        region,
        url: origin.url,
        state: row?.state ?? JSON.stringify(initialRegionState()),
        next_check_at: now + Math.round(service.hc.interval_s * 1000 * jitter),
      });
      tasks.push({
        service: service.name,
        origin: origin.id,
        url: origin.url,
        health_check: service.hc,
        client_certificate: service.clientCertificate,
      });
    }
    return { tasks, next_wake: regionNextWake(store, regions, region) };
  });
}

/**
 * Applies one checker's batch of results: each region's thresholds to its
 * own view, then the vote of the service's regions to the origin's active
 * flag, which the status collapse reads as for the single checker. A result
 * about an origin that has gone, changed URL, or whose service no longer
 * lists `region` is dropped. Returns the checker's next wake time.
 */
export function applyRegionReports(
  store: RegistryStore,
  regions: RegionStore,
  region: string,
  results: readonly RegionResult[],
  now: number,
): number | null {
  return store.transaction(() => {
    const services = new Map(regionalServices(regions).map((s) => [s.name, s]));
    let changed = false;
    for (const result of results) {
      const service = services.get(result.service);
      const origin = store.originRow(result.service, result.origin);
      if (!service?.regions.includes(region) || !origin || origin.url !== result.url) continue;
      if (applyOne(store, regions, service, origin, region, result, now)) changed = true;
    }
    if (changed) store.bump();
    return regionNextWake(store, regions, region);
  });
}

/** One result: the region's streaks, then the vote; true when routing changed. */
function applyOne(
  store: RegistryStore,
  regions: RegionStore,
  service: RegionalService,
  origin: OriginRow,
  region: string,
  result: RegionResult,
  now: number,
): boolean {
  const rows = regions.serviceRows(service.name, origin.id).filter((r) => r.url === origin.url);
  const mine = rows.find((r) => r.region === region);
  if (!mine) return false; // dropped meanwhile (the region was removed and added again)
  const check = { ok: result.ok, latencyMs: result.latency_ms, error: result.error };
  const state = applyStreak(JSON.parse(mine.state) as RegionState, check, service.hc, result.at).state;
  regions.write({ ...mine, state: JSON.stringify(state) });
  const votes = new Map<string, RegionVote>(rows.map((r) => [r.region, JSON.parse(r.state) as RegionState]));
  votes.set(region, state);
  const health = healthOf(origin);
  const decision = decide(health.active, tally(service.regions, votes));
  const reason =
    decision.reason ??
    (result.ok ? `active: check passed in ${region}` : `active: ${result.error ?? "check failed"} in ${region}`);
  return commitOrigin(store, origin, applyVote(health, state, decision, now), reason, now);
}
