import { DurableObject } from "cloudflare:workers";
import { checkFetcher } from "../src/clients/service-binding";
import { type MeshEnv, subrequestBudget } from "../src/config";
import { applyEjectionReport } from "../src/health/outlier";
import type { Catalog, HealthEvent, ServiceHealth } from "../src/model/catalog";
import type { OriginState } from "../src/model/stats";
import type { EjectionReport } from "../src/model/ejection";
import type { Found } from "../src/model/found";
import type { Origin, OriginInput, OriginPatch } from "../src/model/origin";
import type { ServiceConfig, ServiceInput, ServiceWithOrigins } from "../src/model/service";
import type { Snapshot } from "../src/model/snapshot";
import { runActiveChecks, sweepDeadlines } from "./health-loop";
import { commitOrigin } from "./health-ops";
import { adminReason, heartbeatRow, patchedRow, registeredRow } from "./origin-writes";
import { feedReader } from "./feed-reader";
import { catalogView, originStatesView, serviceHealthView } from "./registry-views";
import { RoutingFeed } from "./routing-feed";
import { configOf, healthOf, toEvent, toOrigin, toSnapshotOrigin, type OriginRow } from "./rows";
import { migrate } from "./schema";
import { RegistryStore } from "./store";
import { VersionWatch } from "./version-watch";

/** Longest a blocking snapshot read waits; under the 30 s a Worker's `waitUntil` may run after its response. */
export const MAX_SNAPSHOT_WAIT_MS = 25_000;

const MISSING_SERVICE = { ok: false, missing: "service" } as const;
const MISSING_ORIGIN = { ok: false, missing: "origin" } as const;

/**
 * The service registry and health-state store: one SQLite-backed instance
 * (named "global") holds every service, origin, health state and event.
 * It only keeps state and answers RPC; its alarm runs active checks. The
 * rules live elsewhere: health in src/health/, row building in
 * ./origin-writes.ts, read views in ./registry-views.ts, SQL in ./store.ts.
 */
export class Registry extends DurableObject<Env> {
  private readonly store: RegistryStore;
  private readonly watch = new VersionWatch();
  private readonly feed: RoutingFeed;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage);
    this.store = new RegistryStore(
      ctx.storage,
      () => this.watch.notify(),
      (service, id) => this.feed.touch(service, id),
    );
    this.feed = new RoutingFeed(feedReader(this.store));
  }

  listServices(): ServiceConfig[] {
    return this.store.serviceRows().map((r) => ({ name: r.name, ...configOf(r) }));
  }

  getService(name: string): ServiceWithOrigins | null {
    const row = this.store.serviceRow(name);
    if (!row) return null;
    return { name, ...configOf(row), origins: this.store.originRows(name).map(toOrigin) };
  }

  /** Creates or replaces a service; its origins are kept. */
  async putService(name: string, config: ServiceInput): Promise<{ created: boolean; service: ServiceConfig }> {
    const now = Date.now();
    const created = this.store.transaction(() => {
      const existing = this.store.serviceRow(name);
      const json = JSON.stringify(config);
      if (existing) this.store.updateService(name, json, now);
      else this.store.insertService(name, json, now);
      this.store.setNextCheck(name, config.health_check === null ? null : now);
      // (Re)configured checks run at once, for every origin (within each run's budget).
      if (config.health_check !== null) this.store.scheduleChecks(name, now);
      this.store.bump();
      return existing === null;
    });
    await this.rearm();
    return { created, service: { name, ...config } };
  }

  /** Deletes a service and, in the same transaction, its origins. */
  async deleteService(name: string): Promise<boolean> {
    const deleted = this.store.transaction(() => {
      if (!this.store.serviceRow(name)) return false;
      this.store.deleteService(name);
      this.store.bump();
      return true;
    });
    if (deleted) await this.rearm();
    return deleted;
  }

  listOrigins(service: string): Found<Origin[]> {
    if (!this.store.serviceRow(service)) return MISSING_SERVICE;
    return { ok: true, value: this.store.originRows(service).map(toOrigin) };
  }

  /** Registers an origin under a server-chosen id. */
  addOrigin(service: string, input: OriginInput): Promise<Found<Origin>> {
    return this.change(() => {
      if (!this.store.serviceRow(service)) return MISSING_SERVICE;
      let id: string;
      do id = `${service.slice(0, 52)}-${this.store.takeOriginSeq(service)}`;
      while (this.store.originRow(service, id));
      return { ok: true, value: this.register(service, id, input, null) };
    });
  }

  /** Creates or replaces an origin under a client-chosen id; health is kept when the URL is unchanged. */
  putOrigin(service: string, id: string, input: OriginInput): Promise<Found<{ created: boolean; origin: Origin }>> {
    return this.change(() => {
      if (!this.store.serviceRow(service)) return MISSING_SERVICE;
      const existing = this.store.originRow(service, id);
      return { ok: true, value: { created: existing === null, origin: this.register(service, id, input, existing) } };
    });
  }

  /** Changes some fields of an origin. */
  patchOrigin(service: string, id: string, patch: OriginPatch): Promise<Found<Origin>> {
    return this.change(() => {
      const row = this.existingOrigin(service, id);
      if (!row.ok) return row;
      const now = Date.now();
      commitOrigin(this.store, patchedRow(row.value, patch, now), healthOf(row.value), adminReason(patch), now);
      this.store.bump();
      return { ok: true, value: toOrigin(this.store.originRow(service, id)!) };
    });
  }

  deleteOrigin(service: string, id: string): Promise<Found<null>> {
    return this.change(() => {
      if (!this.store.serviceRow(service)) return MISSING_SERVICE;
      if (!this.store.deleteOrigin(service, id)) return MISSING_ORIGIN;
      this.store.bump();
      return { ok: true, value: null };
    });
  }

  /** Renews an origin's TTL lease (and clears an expired one). */
  heartbeat(service: string, id: string): Promise<Found<Origin>> {
    return this.change(() => {
      const row = this.existingOrigin(service, id);
      if (!row.ok) return row;
      const now = Date.now();
      const next = heartbeatRow(row.value, healthOf(row.value), now);
      if (commitOrigin(this.store, next.row, next.health, "ttl: heartbeat received", now)) this.store.bump();
      return { ok: true, value: toOrigin(this.store.originRow(service, id)!) };
    });
  }

  serviceHealth(service: string, eventLimit = 20): Found<ServiceHealth> {
    if (!this.store.serviceRow(service)) return MISSING_SERVICE;
    return { ok: true, value: serviceHealthView(this.store, service, eventLimit) };
  }

  catalog(): Catalog {
    return catalogView(this.store);
  }

  events(service: string | null, limit: number): HealthEvent[] {
    return this.store.events(service, limit).map(toEvent);
  }

  version(): number {
    return this.store.version();
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

  /**
   * Applies ejections decided by isolates' passive outlier detection, within
   * the service's max_ejection_percent counted across all isolates' reports.
   */
  async reportEjections(reports: EjectionReport[]): Promise<number> {
    const now = Date.now();
    const applied = this.store.transaction(() => {
      let count = 0;
      for (const report of reports) {
        const svc = this.store.serviceRow(report.service);
        const row = this.store.originRow(report.service, report.origin);
        if (!svc || !row) continue;
        const peers = this.store
          .originRows(report.service)
          .filter((o) => o.enabled === 1 && o.drain === 0)
          .map(healthOf);
        const verdict = applyEjectionReport(healthOf(row), report, configOf(svc).outlier_detection, peers, now);
        if (verdict === null) continue;
        commitOrigin(this.store, row, verdict.state, verdict.reason, now);
        count++;
      }
      if (count > 0) this.store.bump();
      return count;
    });
    if (applied > 0) await this.rearm();
    return applied;
  }

  /** Cron watchdog: arms the alarm if anything needs it and none is set. */
  async ensureAlarm(): Promise<number | null> {
    return this.rearm();
  }

  override async alarm(): Promise<void> {
    sweepDeadlines(this.store, Date.now());
    // Checks are this run's only outbound fetches: the whole budget is theirs.
    const budget = subrequestBudget(this.env as MeshEnv);
    await runActiveChecks(this.store, checkFetcher(this.env), Date.now, Math.random, budget);
    await this.rearm();
  }

  /** Whether the version is past `known`, waiting for that up to `waitMs` (capped at MAX_SNAPSHOT_WAIT_MS). */
  private async movedPast(known: number, waitMs: number): Promise<boolean> {
    const until = Date.now() + Math.min(Math.max(0, waitMs), MAX_SNAPSHOT_WAIT_MS);
    while (this.store.version() === known) {
      const left = until - Date.now();
      if (left <= 0 || !(await this.watch.next(left))) return false;
    }
    return true;
  }

  /** Runs a change in one transaction and re-arms the alarm when it succeeded. */
  private async change<T>(fn: () => Found<T>): Promise<Found<T>> {
    const result = this.store.transaction(fn);
    if (result.ok) await this.rearm();
    return result;
  }

  /** The row of an origin of an existing service, or which of the two is missing. */
  private existingOrigin(service: string, id: string): Found<OriginRow> {
    if (!this.store.serviceRow(service)) return MISSING_SERVICE;
    const row = this.store.originRow(service, id);
    return row ? { ok: true, value: row } : MISSING_ORIGIN;
  }

  /** Stores a new or replaced origin, records its transition and bumps the version. */
  private register(service: string, id: string, input: OriginInput, existing: OriginRow | null): Origin {
    const now = Date.now();
    const { row, reason } = registeredRow(service, id, input, existing, now);
    commitOrigin(this.store, row, healthOf(row), reason, now);
    this.store.bump();
    return toOrigin(this.store.originRow(service, id)!);
  }

  /** Sets the alarm to the earliest wake time, or deletes it when nothing needs one. */
  private async rearm(): Promise<number | null> {
    const next = this.store.nextWake();
    const current = await this.ctx.storage.getAlarm();
    if (next === null) {
      if (current !== null) await this.ctx.storage.deleteAlarm();
    } else if (current === null || current > next) {
      await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
    }
    return next;
  }
}
