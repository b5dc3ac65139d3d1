import { applyCheckResult } from "../src/health/active";
import { runCheck, type Fetcher } from "../src/health/checker";
import { applyLease, leaseVerdict } from "../src/health/lease";
import { releaseExpired } from "../src/health/outlier";
import type { ServiceInput } from "../src/model/service";
import { commitOrigin } from "./health-ops";
import { healthOf } from "./rows";
import type { RegistryStore } from "./store";

/** Workers allow six simultaneous outbound connections per invocation; more would only queue. */
const CHECK_CONCURRENCY = 6;
/** ± share of the interval added at random, so services registered together do not fire together. */
const JITTER = 0.1;

/** Ends expired ejections and judges TTL leases whose deadline has come. */
export function sweepDeadlines(store: RegistryStore, now: number): void {
  store.transaction(() => {
    let changed = false;
    for (const row of store.dueOrigins(now)) {
      let health = healthOf(row);
      const reasons: string[] = [];
      const released = releaseExpired(health, now);
      health = released.state;
      if (released.reason) reasons.push(released.reason);
      if (row.ttl_s !== null) {
        const verdict = leaseVerdict(row.ttl_s, row.last_heartbeat_at, now);
        if (verdict === "deregister") {
          const silentS = Math.round((now - row.last_heartbeat_at) / 1000);
          store.addEvent(now, row.service, row.id, row.status, "deregistered", `ttl: no heartbeat for ${silentS}s, deregistered`);
          store.deleteOrigin(row.service, row.id);
          changed = true;
          continue;
        }
        const lease = applyLease(health, verdict, row.ttl_s, now);
        health = lease.state;
        if (lease.reason) reasons.push(lease.reason);
      }
      if (commitOrigin(store, row, health, reasons.join("; ") || "deadline", now)) changed = true;
    }
    if (changed) store.bump();
  });
}

interface CheckTask {
  service: string;
  id: string;
  url: string;
  config: ServiceInput;
}

/** Runs `fn` over `items` with at most `limit` running at once. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Picks the services whose checks are due and schedules their next round (with jitter). */
function takeDueChecks(store: RegistryStore, now: number, rng: () => number): CheckTask[] {
  return store.transaction(() => {
    const tasks: CheckTask[] = [];
    for (const svc of store.dueServices(now)) {
      const config = JSON.parse(svc.config) as ServiceInput;
      const hc = config.health_check;
      if (hc === null) {
        store.setNextCheck(svc.name, null);
        continue;
      }
      const jitter = 1 + (rng() * 2 - 1) * JITTER;
      store.setNextCheck(svc.name, now + Math.round(hc.interval_s * 1000 * jitter));
      for (const o of store.originRows(svc.name)) {
        if (o.enabled === 1) tasks.push({ service: svc.name, id: o.id, url: o.url, config });
      }
    }
    return tasks;
  });
}

/**
 * Runs every due active check, concurrently but bounded, and applies each
 * result to the origin as it is now (it may have changed or gone meanwhile).
 */
export async function runActiveChecks(store: RegistryStore, fetcher: Fetcher, clock: () => number, rng: () => number = Math.random): Promise<number> {
  const tasks = takeDueChecks(store, clock(), rng);
  await pool(tasks, CHECK_CONCURRENCY, async (task) => {
    const result = await runCheck(task.url, task.config.health_check!, fetcher, clock);
    store.transaction(() => {
      const row = store.originRow(task.service, task.id);
      if (!row || row.url !== task.url) return;
      const now = clock();
      const applied = applyCheckResult(healthOf(row), result, task.config.health_check!, now);
      const reason = applied.reason ?? (result.ok ? "active: check passed" : `active: ${result.error ?? "check failed"}`);
      if (commitOrigin(store, row, applied.state, reason, now)) store.bump();
    });
  });
  return tasks.length;
}
