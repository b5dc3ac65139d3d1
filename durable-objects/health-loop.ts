import { DEFAULT_SUBREQUEST_BUDGET } from "../src/config";
import { applyCheckResult, type CheckResult } from "../src/health/active";
import { withClientCertificate } from "../src/clients/service-binding";
import { runCheck, type Fetcher } from "../src/health/checker";
import { applyLease, leaseVerdict } from "../src/health/lease";
import { releaseExpired } from "../src/health/outlier";
import type { ServiceInput } from "../src/model/service";
import { commitOrigin } from "./health-ops";
import { configOf, healthOf, type OriginRow } from "./rows";
import type { RegistryStore } from "./store";

/** Workers allow six simultaneous outbound connections per invocation; more would only queue. */
export const CHECK_CONCURRENCY = 6;
/** ± share of the interval added at random to each origin's next check, so origins registered together drift apart. */
export const JITTER = 0.1;
/** How long a deadline or check that could not be processed waits before the next try, so one bad row cannot spin the alarm. */
export const RETRY_AFTER_MS = 30_000;

/** Ends expired ejections and judges TTL leases whose deadline has come; each origin in its own transaction. */
export function sweepDeadlines(store: RegistryStore, now: number): void {
  let changed = false;
  for (const row of store.dueOrigins(now)) {
    try {
      if (store.transaction(() => sweepOrigin(store, row, now))) changed = true;
    } catch (err) {
      console.error(`health: deadline of ${row.service}/${row.id} failed: ${String(err)}`);
    }
  }
  // Anything still due could not be settled; waking for it again at once would busy-loop the alarm.
  for (const row of store.dueOrigins(now)) store.writeOrigin({ ...row, wake_at: now + RETRY_AFTER_MS });
  if (changed) store.bump();
}

/** Settles one origin's due deadlines; true when routing changed. */
function sweepOrigin(store: RegistryStore, row: OriginRow, now: number): boolean {
  let health = healthOf(row);
  const reasons: string[] = [];
  const released = releaseExpired(health, now);
  health = released.state;
  if (released.reason) reasons.push(released.reason);
  if (row.ttl_s !== null) {
    const verdict = leaseVerdict(row.ttl_s, row.last_heartbeat_at, now);
    if (verdict === "deregister") {
      const silentS = Math.round((now - row.last_heartbeat_at) / 1000);
      store.addEvent(
        now,
        row.service,
        row.id,
        row.status,
        "deregistered",
        `ttl: no heartbeat for ${silentS}s, deregistered`,
      );
      store.deleteOrigin(row.service, row.id);
      return true;
    }
    const lease = applyLease(health, verdict, row.ttl_s, now);
    health = lease.state;
    if (lease.reason) reasons.push(lease.reason);
  }
  return commitOrigin(store, row, health, reasons.join("; ") || "deadline", now);
}

interface CheckTask {
  service: string;
  id: string;
  url: string;
  config: ServiceInput;
}

/** Runs `fn` over `items` with at most `limit` running at once; `fn` must not throw. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Takes the most overdue checks, at most `budget` (the run's outbound
 * fetches, MESH_SUBREQUEST_BUDGET), and schedules each origin's next check
 * — its service's interval, with jitter — before any check runs, so a check
 * that hangs or throws cannot make it due again at once. What is left over
 * stays due, untouched (its status is kept: a check is never failed for
 * lack of budget), and the alarm re-arms for it at once. Only enabled
 * origins of services with checks are due (`RegistryStore.dueChecks`).
 */
function takeDueChecks(store: RegistryStore, now: number, rng: () => number, budget: number): CheckTask[] {
  return store.transaction(() => {
    const tasks: CheckTask[] = [];
    const configs = new Map<string, ServiceInput | null>();
    for (const row of store.dueChecks(now, budget)) {
      let config = configs.get(row.service);
      if (config === undefined) {
        try {
          config = configOf(store.serviceRow(row.service)!);
        } catch (err) {
          console.error(`health: config of service ${row.service} is unreadable: ${String(err)}`);
          config = null;
        }
        configs.set(row.service, config);
      }
      const hc = config?.health_check;
      if (config === null || hc === undefined) {
        store.setOriginNextCheck(row.service, row.id, now + RETRY_AFTER_MS);
        continue;
      }
      // `?.`: a stored config that no longer parses is read raw, and may predate `regions`.
      if (hc === null || (hc.regions?.length ?? 0) > 0) {
        // The "checks configured here" mark is out of step with the config (off, or run by regional checkers):
        // clear it, nothing is due.
        store.setNextCheck(row.service, null);
        continue;
      }
      const jitter = 1 + (rng() * 2 - 1) * JITTER;
      store.setOriginNextCheck(row.service, row.id, now + Math.round(hc.interval_s * 1000 * jitter));
      // Never fetched while the origin policy refuses its URL (see origin-policy.ts).
      if (refusedByPolicy(row)) continue;
      tasks.push({ service: row.service, id: row.id, url: row.url, config });
    }
    return tasks;
  });
}

/** Whether the origin policy holds this origin back; an unreadable health is left to the check to report. */
function refusedByPolicy(row: OriginRow): boolean {
  try {
    return (healthOf(row).policy ?? null) !== null;
  } catch {
    return false;
  }
}

/** Applies one check result to the origin as it is now (it may have changed or gone meanwhile). */
function applyResult(store: RegistryStore, task: CheckTask, result: CheckResult, now: number): void {
  store.transaction(() => {
    const row = store.originRow(task.service, task.id);
    if (!row || row.url !== task.url) return;
    const applied = applyCheckResult(healthOf(row), result, task.config.health_check!, now);
    const reason = applied.reason ?? (result.ok ? "active: check passed" : `active: ${result.error ?? "check failed"}`);
    if (commitOrigin(store, row, applied.state, reason, now)) store.bump();
  });
}

/**
 * Runs the due active checks, the most overdue first, at most `budget` of
 * them (one outbound fetch each) and six at a time. A check that throws is
 * logged and skipped: it never aborts the others or the alarm.
 * Returns how many checks ran.
 */
export async function runActiveChecks(
  store: RegistryStore,
  fetcher: Fetcher,
  clock: () => number,
  rng: () => number = Math.random,
  budget: number = DEFAULT_SUBREQUEST_BUDGET,
  /** Where `tls.client_certificate_binding` bindings are looked up (the Worker's env). */
  env: object = {},
): Promise<number> {
  const tasks = takeDueChecks(store, clock(), rng, budget);
  await pool(tasks, CHECK_CONCURRENCY, async (task) => {
    try {
      const viaCert = withClientCertificate(env, fetcher, task.config.tls?.client_certificate_binding ?? null);
      const result = await runCheck(task.url, task.config.health_check!, viaCert, clock);
      applyResult(store, task, result, clock());
    } catch (err) {
      console.error(`health: check of ${task.service}/${task.id} failed: ${String(err)}`);
    }
  });
  return tasks.length;
}
