import { checkFetcher } from "../src/clients/service-binding";
import { type MeshEnv, allowPrivateOrigins, subrequestBudget } from "../src/config";
import type { Catalog, HealthEvent, ServiceHealth } from "../src/model/catalog";
import type { EjectionReport } from "../src/model/ejection";
import type { Found } from "../src/model/found";
import { limitsOf } from "../src/model/limits";
import type { Origin, OriginInput, OriginPatch } from "../src/model/origin";
import type { ServiceConfig, ServiceInput, ServiceWithOrigins } from "../src/model/service";
import { runActiveChecks, sweepDeadlines } from "./health-loop";
import { applyEjections, rearmAlarm } from "./ejections";
import { commitOrigin } from "./health-ops";
import { adminReason, heartbeatRow, patchedRow, registeredRow } from "./origin-writes";
import { feedReader } from "./feed-reader";
import { originWriteBreach, serviceWriteBreach } from "./limits-check";
import { OperatedRegistry } from "./operated";
import { enforceOriginPolicy } from "./origin-policy";
import { PolicyStore } from "./policy-store";
import { regionsOf } from "./region-checks";
import { RegionalChecks } from "./regional";
import { catalogView, serviceHealthView } from "./registry-views";
import { RoutingFeed } from "./routing-feed";
import { configOf, healthOf, toEvent, toOrigin, type OriginRow } from "./rows";
import { migrate } from "./schema";
import { RegistryStore } from "./store";
import { VersionWatch } from "./version-watch";

/** Longest a blocking snapshot read waits; under the 30 s a Worker's `waitUntil` may run after its response. */
export const MAX_SNAPSHOT_WAIT_MS = 25_000;

const MISSING_SERVICE = { ok: false, missing: "service" } as const;
const MISSING_ORIGIN = { ok: false, missing: "origin" } as const;

/**
 * The registry's state and its core RPC (services, origins, health, the
 * alarm); `Registry` (./registry.ts) adds what isolates, checkers and
 * policy read and write. Workers RPC exposes the methods of the whole
 * class chain. It only keeps state and answers RPC: the rules live
 * elsewhere — health in src/health/, row building in ./origin-writes.ts,
 * read views in ./registry-views.ts, SQL in ./store.ts.
 */
export class RegistryCore extends OperatedRegistry {
  protected readonly store: RegistryStore;
  protected readonly policy: PolicyStore;
  protected readonly regional: RegionalChecks;
  protected readonly watch = new VersionWatch();
  protected readonly feed: RoutingFeed;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage);
    this.store = new RegistryStore(
      ctx.storage,
      () => this.watch.notify(),
      (service, id) => this.feed.touch(service, id),
    );
    this.policy = new PolicyStore(ctx.storage.sql);
    this.feed = new RoutingFeed(feedReader(this.store, this.policy));
    this.regional = new RegionalChecks(this.store, ctx.storage, env);
    enforceOriginPolicy(this.store, allowPrivateOrigins(env), Date.now());
  }

  listServices(): ServiceConfig[] {
    return this.store.serviceRows().map((r) => ({ name: r.name, ...configOf(r) }));
  }

  getService(name: string): ServiceWithOrigins | null {
    const row = this.store.serviceRow(name);
    if (!row) return null;
    return { name, ...configOf(row), origins: this.store.originRows(name).map(toOrigin) };
  }

  /** Creates or replaces a service; its origins are kept. Refused when it would pass a limit. */
  async putService(name: string, config: ServiceInput): Promise<Found<{ created: boolean; service: ServiceConfig }>> {
    const now = Date.now();
    const refused = serviceWriteBreach(this.store, limitsOf(this.env), name, config);
    if (refused) return { ok: false, refused };
    const regions = regionsOf(config);
    const before = this.regional.regionsOf(name);
    const created = this.store.transaction(() => {
      const existing = this.store.serviceRow(name);
      const json = JSON.stringify(config);
      if (existing) this.store.updateService(name, json, now);
      else this.store.insertService(name, json, now);
      // With regions the regional checkers check the service, not this object's alarm (see region-checks.ts).
      const own = config.health_check !== null && regions.length === 0;
      this.store.setNextCheck(name, own ? now : null);
      // (Re)configured checks run at once, for every origin (within each run's budget).
      if (own) this.store.scheduleChecks(name, now);
      this.regional.configure(name, regions, now);
      this.store.bump();
      return existing === null;
    });
    await this.rearm();
    await this.regional.arm([...before, ...regions]);
    return { ok: true, value: { created, service: { name, ...config } } };
  }

  /** Deletes a service and, in the same transaction, its origins. */
  async deleteService(name: string): Promise<boolean> {
    const regions = this.regional.regionsOf(name);
    const deleted = this.store.transaction(() => {
      if (!this.store.serviceRow(name)) return false;
      this.store.deleteService(name);
      this.store.bump();
      return true;
    });
    if (deleted) await Promise.all([this.rearm(), this.regional.arm(regions)]);
    return deleted;
  }

  listOrigins(service: string): Found<Origin[]> {
    if (!this.store.serviceRow(service)) return MISSING_SERVICE;
    return { ok: true, value: this.store.originRows(service).map(toOrigin) };
  }

  /** Registers an origin under a server-chosen id. */
  addOrigin(service: string, input: OriginInput): Promise<Found<Origin>> {
    return this.change(service, () => {
      if (!this.store.serviceRow(service)) return MISSING_SERVICE;
      const refused = originWriteBreach(this.store, limitsOf(this.env), service, null, input);
      if (refused) return { ok: false, refused };
      let id: string;
      do id = `${service.slice(0, 52)}-${this.store.takeOriginSeq(service)}`;
      while (this.store.originRow(service, id));
      return { ok: true, value: this.register(service, id, input, null) };
    });
  }

  /** Creates or replaces an origin under a client-chosen id; health is kept when the URL is unchanged. */
  putOrigin(service: string, id: string, input: OriginInput): Promise<Found<{ created: boolean; origin: Origin }>> {
    return this.change(service, () => {
      if (!this.store.serviceRow(service)) return MISSING_SERVICE;
      const refused = originWriteBreach(this.store, limitsOf(this.env), service, id, input);
      if (refused) return { ok: false, refused };
      const existing = this.store.originRow(service, id);
      return { ok: true, value: { created: existing === null, origin: this.register(service, id, input, existing) } };
    });
  }

  /** Changes some fields of an origin. */
  patchOrigin(service: string, id: string, patch: OriginPatch): Promise<Found<Origin>> {
    return this.change(service, () => {
      const row = this.existingOrigin(service, id);
      if (!row.ok) return row;
      const now = Date.now();
      commitOrigin(this.store, patchedRow(row.value, patch, now), healthOf(row.value), adminReason(patch), now);
      this.store.bump();
      return { ok: true, value: toOrigin(this.store.originRow(service, id)!) };
    });
  }

  deleteOrigin(service: string, id: string): Promise<Found<null>> {
    return this.change(null, () => {
      if (!this.store.serviceRow(service)) return MISSING_SERVICE;
      if (!this.store.deleteOrigin(service, id)) return MISSING_ORIGIN;
      this.store.bump();
      return { ok: true, value: null };
    });
  }

  /** Renews an origin's TTL lease (and clears an expired one). */
  heartbeat(service: string, id: string): Promise<Found<Origin>> {
    return this.change(null, () => {
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
    return { ok: true, value: serviceHealthView(this.store, service, eventLimit, this.regional.views(service)) };
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
   * Applies ejections decided by isolates' passive outlier detection, within
   * the service's max_ejection_percent counted across all isolates' reports.
   */
  async reportEjections(reports: EjectionReport[]): Promise<number> {
    const applied = applyEjections(this.store, reports, Date.now());
    if (applied > 0) await this.rearm();
    return applied;
  }

  /** Cron watchdog: arms this object's alarm, and every regional checker's, if anything needs it and none is set. */
  async ensureAlarm(): Promise<number | null> {
    await this.regional.armAll();
    return this.rearm();
  }

  override async alarm(): Promise<void> {
    sweepDeadlines(this.store, Date.now());
    const budget = subrequestBudget(this.env as MeshEnv);
    await runActiveChecks(this.store, checkFetcher(this.env), Date.now, Math.random, budget, this.env);
    await this.sendWebhooks();
    await this.rearm();
  }

  /** Whether the version is past `known`, waiting for that up to `waitMs` (capped at MAX_SNAPSHOT_WAIT_MS). */
  protected async movedPast(known: number, waitMs: number): Promise<boolean> {
    const until = Date.now() + Math.min(Math.max(0, waitMs), MAX_SNAPSHOT_WAIT_MS);
    while (this.store.version() === known) {
      const left = until - Date.now();
      if (left <= 0 || !(await this.watch.next(left))) return false;
    }
    return true;
  }

  /**
   * Runs a change in one transaction and re-arms the alarm when it succeeded,
   * and the checkers of `service`'s regions (a new or changed origin is checked at once).
   */
  private async change<T>(service: string | null, fn: () => Found<T>): Promise<Found<T>> {
    const result = this.store.transaction(fn);
    if (result.ok)
      await Promise.all([this.rearm(), this.regional.arm(service ? this.regional.regionsOf(service) : [])]);
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
  protected rearm(): Promise<number | null> {
    return rearmAlarm(this.ctx.storage, this.store);
  }
}
