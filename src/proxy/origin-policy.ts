import type { Snapshot, SnapshotOrigin } from "../model/snapshot";
import { originUrlRefusal } from "../model/origin-url";

/** Verdicts by URL, so a refresh re-judges only URLs it has not seen; cleared when it outgrows the table. */
const verdicts = new Map<string, string | null>();

/**
 * The snapshot with every origin whose URL the origin policy refuses shown
 * `disabled`, so the data plane never sends it a request, whatever the
 * snapshot's age: the registry marks such origins itself when it starts
 * (durable-objects/origin-policy.ts), this holds for snapshots older than that.
 * @example policed(snapshot, allowPrivateOrigins(env))
 */
export function policed(snapshot: Snapshot, allowPrivate: boolean): Snapshot {
  if (allowPrivate) return snapshot;
  if (verdicts.size > 2 * snapshot.origins.length + 64) verdicts.clear();
  let origins: SnapshotOrigin[] | null = null;
  snapshot.origins.forEach((origin, i) => {
    let refusal = verdicts.get(origin.url);
    if (refusal === undefined) {
      refusal = originUrlRefusal(origin.url, false);
      verdicts.set(origin.url, refusal);
    }
    if (refusal === null || origin.health.status === "disabled") return;
    origins ??= snapshot.origins.slice();
    origins[i] = { ...origin, health: { ...origin.health, status: "disabled" } };
  });
  return origins === null ? snapshot : { ...snapshot, origins };
}
