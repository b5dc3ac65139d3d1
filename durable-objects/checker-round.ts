import { withClientCertificate } from "../src/clients/service-binding";
import { runCheck, type Fetcher } from "../src/health/checker";
import type { RegionResult, RegionTask } from "../src/model/region";
import { CHECK_CONCURRENCY, pool } from "./health-loop";

/** The two Registry calls a checker's round makes (the Registry stub, or a stand-in in tests). */
export interface RegionRegistry {
  takeRegionChecks(region: string, budget: number): Promise<{ tasks: RegionTask[]; next_wake: number | null }>;
  reportRegionChecks(region: string, results: RegionResult[]): Promise<number | null>;
}

/**
 * One alarm run of a region's checker: takes its due checks from the
 * Registry (at most `budget`, the run's outbound fetches), runs them six at
 * a time with `x-mesh-check-region: <region>`, and reports every result in
 * one batch. Two Registry calls a run (one when nothing is due). Returns
 * when the checker should run next, or null when it has nothing to check.
 * @example const next = await runRegionRound("weur", registry(env), checkFetcher(env), Date.now, 45)
 */
export async function runRegionRound(
  region: string,
  reg: RegionRegistry,
  fetcher: Fetcher,
  clock: () => number,
  budget: number,
  /** Where `tls.client_certificate_binding` bindings are looked up (the Worker's env). */
  env: object = {},
): Promise<number | null> {
  const viaCertificate = (name: string | null) => withClientCertificate(env, fetcher, name);
  const { tasks, next_wake } = await reg.takeRegionChecks(region, budget);
  if (tasks.length === 0) return next_wake;
  const results: RegionResult[] = [];
  await pool(tasks, CHECK_CONCURRENCY, async (task) => {
    try {
      const r = await runCheck(
        task.url,
        task.health_check,
        viaCertificate(task.client_certificate ?? null),
        clock,
        region,
      );
      results.push({
        service: task.service,
        origin: task.origin,
        url: task.url,
        ok: r.ok,
        latency_ms: r.latencyMs,
        error: r.error,
        at: clock(),
      });
    } catch (err) {
      console.error(`health: check of ${task.service}/${task.origin} from ${region} failed: ${String(err)}`);
    }
  });
  return reg.reportRegionChecks(region, results);
}
