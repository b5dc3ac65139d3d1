import { applyEjectionReport } from "../src/health/outlier";
import type { EjectionReport } from "../src/model/ejection";
import { commitOrigin } from "./health-ops";
import { configOf, healthOf } from "./rows";
import type { RegistryStore } from "./store";
import { WebhookStore } from "./webhook-store";

/**
 * Applies ejections decided by isolates' passive outlier detection, within
 * each service's max_ejection_percent counted across all isolates' reports,
 * in one transaction; returns how many took effect.
 */
export function applyEjections(store: RegistryStore, reports: EjectionReport[], now: number): number {
  return store.transaction(() => {
    let count = 0;
    for (const report of reports) {
      const svc = store.serviceRow(report.service);
      const row = store.originRow(report.service, report.origin);
      if (!svc || !row) continue;
      const peers = store
        .originRows(report.service)
        .filter((o) => o.enabled === 1 && o.drain === 0)
        .map(healthOf);
      const verdict = applyEjectionReport(healthOf(row), report, configOf(svc).outlier_detection, peers, now);
      if (verdict === null) continue;
      commitOrigin(store, row, verdict.state, verdict.reason, now);
      count++;
    }
    if (count > 0) store.bump();
    return count;
  });
}

/** Sets the alarm to the earliest wake time, or deletes it when nothing needs one; returns that time. */
export async function rearmAlarm(storage: DurableObjectStorage, store: RegistryStore): Promise<number | null> {
  // Webhooks with transitions to send are delivered from the alarm too (webhook-delivery.ts).
  const times = [store.nextWake(), new WebhookStore(storage.sql).nextDue()].filter((t) => t !== null);
  const next = times.length === 0 ? null : Math.min(...times);
  const current = await storage.getAlarm();
  if (next === null) {
    if (current !== null) await storage.deleteAlarm();
  } else if (current === null || current > next) {
    await storage.setAlarm(Math.max(next, Date.now()));
  }
  return next;
}
