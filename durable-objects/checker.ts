import { DurableObject } from "cloudflare:workers";
import { registry } from "../src/clients/registry";
import { checkFetcher } from "../src/clients/service-binding";
import { type MeshEnv, subrequestBudget } from "../src/config";
import { runRegionRound } from "./checker-round";
import { RETRY_AFTER_MS } from "./health-loop";

const REGION_KEY = "region";

/**
 * One region's health checker (`health_check.regions`): one instance per
 * region, named by it and created with it as location hint
 * (src/clients/checker.ts). It holds only its region's name and its alarm;
 * what to check, when, and what was seen live in the Registry, which arms
 * it on every change that concerns its region and from the cron watchdog.
 * Each alarm run is a round (./checker-round.ts) within its own
 * MESH_SUBREQUEST_BUDGET of outbound fetches.
 */
export class Checker extends DurableObject<Env> {
  /**
   * Makes the checker of `region` run at `at` (or at once if that is past),
   * unless it is set to run sooner; null: nothing is left to check from
   * this region, so the alarm and the stored name go.
   */
  async arm(region: string, at: number | null): Promise<void> {
    const storage = this.ctx.storage;
    if (at === null) {
      await storage.deleteAlarm();
      await storage.deleteAll();
      return;
    }
    if ((await storage.get<string>(REGION_KEY)) !== region) await storage.put(REGION_KEY, region);
    const current = await storage.getAlarm();
    if (current === null || current > at) await storage.setAlarm(Math.max(at, Date.now()));
  }

  override async alarm(): Promise<void> {
    const storage = this.ctx.storage;
    const region = await storage.get<string>(REGION_KEY);
    if (region === undefined) return;
    let next: number | null;
    try {
      const budget = subrequestBudget(this.env as MeshEnv);
      next = await runRegionRound(region, registry(this.env), checkFetcher(this.env), Date.now, budget, this.env);
    } catch (err) {
      // The Registry could not be reached: try again later rather than spin (the cron watchdog also re-arms).
      console.error(`health: checker ${region} round failed: ${String(err)}`);
      next = Date.now() + RETRY_AFTER_MS;
    }
    // Stopped while this run was under way (its region dropped): stay stopped. Storage calls alone follow,
    // so no other call can come in between (input gate).
    if ((await storage.get<string>(REGION_KEY)) === undefined) return;
    // An alarm set while this run was under way (a write arming the checker) stays unless this one is sooner.
    const current = await storage.getAlarm();
    if (next === null) {
      if (current === null) await storage.deleteAll();
    } else if (current === null || current > next) {
      await storage.setAlarm(Math.max(next, Date.now()));
    }
  }
}
