import type { MeshEnv } from "../src/config";
import type { RegionHealthMap, RegionResult } from "../src/model/region";
import { armCheckers } from "./region-arm";
import {
  applyRegionReports,
  type RegionRound,
  regionalServices,
  regionNextWake,
  takeRegionChecks,
} from "./region-checks";
import { RegionStore } from "./region-store";
import { allRegionViews, serviceRegionViews } from "./region-views";
import type { RegistryStore } from "./store";

/**
 * The Registry's side of regional checks (`health_check.regions`), over its
 * own storage: what each region's checker is to check, what each saw, and
 * arming the checkers. The Registry calls it from its RPC methods; the rules
 * are in region-checks.ts and src/health/vote.ts.
 */
export class RegionalChecks {
  private readonly regions: RegionStore;

  constructor(
    private readonly store: RegistryStore,
    storage: DurableObjectStorage,
    private readonly env: Pick<MeshEnv, "CHECKER">,
  ) {
    this.regions = new RegionStore(storage);
  }

  /** The regions a stored service is checked from ([] for none, or when it does not exist). */
  regionsOf(service: string): readonly string[] {
    return regionalServices(this.regions, service)[0]?.regions ?? [];
  }

  /**
   * Inside a service write's transaction: drops what the regions it no
   * longer lists saw, and makes every remaining region check every origin at once.
   */
  configure(service: string, regions: readonly string[], now: number): void {
    this.regions.keepRegions(service, regions);
    this.regions.scheduleService(service, now);
  }

  /** Arms each region's checker for its next due check, or stops it when nothing is left to check there. */
  arm(regions: Iterable<string>): Promise<void> {
    return armCheckers(this.env, regions, (region) => regionNextWake(this.store, this.regions, region));
  }

  /** Arms the checker of every region some service lists (the cron watchdog). */
  armAll(): Promise<void> {
    return this.arm(regionalServices(this.regions).flatMap((s) => s.regions));
  }

  take(region: string, budget: number, now: number): RegionRound {
    return takeRegionChecks(this.store, this.regions, region, now, Math.random, budget);
  }

  report(region: string, results: readonly RegionResult[], now: number): number | null {
    return applyRegionReports(this.store, this.regions, region, results, now);
  }

  /** Each origin's `health.regions` of one service, or null when it has no regions. */
  views(service: string): Map<string, RegionHealthMap> | null {
    return serviceRegionViews(this.store, this.regions, service);
  }

  /** Every service with regions → origin → its per-region view. */
  allViews(): Record<string, Record<string, RegionHealthMap>> {
    return allRegionViews(this.store, this.regions);
  }
}
