import type { CertIdentity } from "../src/model/identity";
import type { Intention, IntentionInput } from "../src/model/intention";
import type { RegionHealthMap, RegionResult } from "../src/model/region";
import type { ServiceConfig } from "../src/model/service";
import type { Snapshot } from "../src/model/snapshot";
import type { OriginState } from "../src/model/stats";
import { removeIdentity, removeIntention, writeIdentity, writeIntention } from "./policy-ops";
import type { RegionRound } from "./region-checks";
import { RegistryCore } from "./registry-core";
import { originStatesView } from "./registry-views";
import { toSnapshotOrigin } from "./rows";

export { MAX_SNAPSHOT_WAIT_MS } from "./registry-core";

/**
 * The service registry and health-state store: one SQLite-backed instance
 * (named "global") holds every service, origin, health state, event,
 * intention and certificate identity. The core (services, origins, health,
 * the alarm) is in ./registry-core.ts; here is what the data plane, the
 * regional checkers and the policy API call.
 */
export class Registry extends RegistryCore {
  /** Intentions and certificate identities (SPEC §9), as they travel to isolates. */
  listPolicy(): { intentions: Intention[]; identities: CertIdentity[] } {
    return { intentions: this.policy.intentions(), identities: this.policy.identities() };
  }

  putIntention(source: string, destination: string, input: IntentionInput) {
    return writeIntention(this.store, this.policy, source, destination, input, Date.now());
  }

  deleteIntention(source: string, destination: string): boolean {
    return removeIntention(this.store, this.policy, source, destination, Date.now());
  }

  putIdentity(identity: CertIdentity) {
    return writeIdentity(this.store, this.policy, identity, Date.now());
  }

  deleteIdentity(service: string): boolean {
    return removeIdentity(this.store, this.policy, service);
  }

  /**
   * The data plane's view; null when the caller already has `knownVersion`.
   * With `waitMs` (capped at MAX_SNAPSHOT_WAIT_MS) the call is a blocking
   * query: it answers as soon as the version moves, or null when it has not
   * moved by then — one call per isolate per wait instead of one per second.
   */
  async snapshot(knownVersion = -1, waitMs = 0): Promise<Snapshot | null> {
    if (this.store.version() === knownVersion && !(await this.movedPast(knownVersion, waitMs))) return null;
    return {
      version: this.store.version(),
      services: this.listServices(),
      origins: this.store.originRows().map(toSnapshotOrigin),
      policy: this.listPolicy(),
    };
  }

  /**
   * The data plane's routing feed (SPEC §8): the table as JSON text
   * (src/model/feed.ts), whole or as a delta from `knownVersion` when that
   * is smaller; null when the caller is current. Each answer is serialised
   * once per version and the same text handed to every caller. Blocking
   * with `waitMs`, as `snapshot`.
   */
  async routingFeed(knownVersion = -1, waitMs = 0): Promise<string | null> {
    // Answered in the same turn when the caller is behind: no await, nothing interleaves with the answer.
    if (this.store.version() === knownVersion && !(await this.movedPast(knownVersion, waitMs))) return null;
    return this.feed.answer(knownVersion);
  }

  /** What the metrics show: the version, every service, every origin's health (with what the routing feed leaves out). */
  metricsState(): { version: number; services: ServiceConfig[]; origins: OriginState[] } {
    return { version: this.store.version(), services: this.listServices(), origins: originStatesView(this.store) };
  }

  /** A regional checker's due checks, at most `budget`, scheduled before they run (see region-checks.ts). */
  takeRegionChecks(region: string, budget: number): RegionRound {
    return this.regional.take(region, budget, Date.now());
  }

  /** A regional checker's results of one run, in one batch; returns when it should run next (null: never). */
  async reportRegionChecks(region: string, results: RegionResult[]): Promise<number | null> {
    const next = this.regional.report(region, results, Date.now());
    await this.rearm(); // an origin's health may now need a deadline sweep
    return next;
  }

  /** Every service with regions → origin → its per-region view (the dashboard's `/stats`). */
  regionHealth(): Record<string, Record<string, RegionHealthMap>> {
    return this.regional.allViews();
  }
}
