import { DurableObject } from "cloudflare:workers";
import { initialHealth } from "../src/health/state";
import type { Catalog, HealthEvent, ServiceHealth } from "../src/model/catalog";
import type { HealthStatus, Origin, OriginInput, OriginPatch } from "../src/model/origin";
import type { ServiceConfig, ServiceInput, ServiceWithOrigins } from "../src/model/service";
import type { Snapshot } from "../src/model/snapshot";
import { STATUSES } from "../src/model/origin";
import { applyLease } from "../src/health/lease";
import { applyEjectionReport } from "../src/health/outlier";
import type { EjectionReport } from "../src/model/ejection";
import type { Found } from "../src/model/found";
import { runActiveChecks, sweepDeadlines } from "./health-loop";
import { commitOrigin } from "./health-ops";
import { healthOf, toEvent, toOrigin, toSnapshotOrigin, type OriginRow } from "./rows";
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
 * It only keeps state and answers RPC; its alarm runs active checks.
 */
export class Registry extends DurableObject<Env> {
  private readonly store: RegistryStore;
  private readonly watch = new VersionWatch();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage);
    this.store = new RegistryStore(ctx.storage, () => this.watch.notify());
  }

  listServices(): ServiceConfig[] {
    return this.store.serviceRows().map((r) => ({ name: r.name, ...(JSON.parse(r.config) as ServiceInput) }));
  }

  getService(name: string): ServiceWithOrigins | null {
    const row = this.store.serviceRow(name);
    if (!row) return null;
    return { name, ...(JSON.parse(row.config) as ServiceInput), origins: this.store.originRows(name).map(toOrigin) };
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
  async addOrigin(service: string, input: OriginInput): Promise<Found<Origin>> {
    const result = this.store.transaction((): Found<Origin> => {
      if (!this.store.serviceRow(service)) return MISSING_SERVICE;
      let id: string;
      do id = `${service.slice(0, 52)}-${this.store.takeOriginSeq(service)}`;
      while (this.store.originRow(service, id));
      return { ok: true, value: this.writeNewOrigin(service, id, input, null) };
    });
    if (result.ok) await this.rearm();
    return result;
  }

  /** Creates or replaces an origin under a client-chosen id; health is kept when the URL is unchanged. */
  async putOrigin(
    service: string,
    id: string,
    input: OriginInput,
  ): Promise<Found<{ created: boolean; origin: Origin }>> {
    const result = this.store.transaction((): Found<{ created: boolean; origin: Origin }> => {
      if (!this.store.serviceRow(service)) return MISSING_SERVICE;
      const existing = this.store.originRow(service, id);
      return {
        ok: true,
        value: { created: existing === null, origin: this.writeNewOrigin(service, id, input, existing) },
      };
    });
    if (result.ok) await this.rearm();
    return result;
  }

  /** Changes some fields of an origin. */
  async patchOrigin(service: string, id: string, patch: OriginPatch): Promise<Found<Origin>> {
    const result = this.store.transaction((): Found<Origin> => {
      if (!this.store.serviceRow(service)) return MISSING_SERVICE;
      const row = this.store.originRow(service, id);
      if (!row) return MISSING_ORIGIN;
      const now = Date.now();
      const next: OriginRow = {
        ...row,
        weight: patch.weight ?? row.weight,
        zone: patch.zone === undefined ? row.zone : patch.zone,
        tags: patch.tags === undefined ? row.tags : JSON.stringify(patch.tags),
        metadata: patch.metadata === undefined ? row.metadata : JSON.stringify(patch.metadata),
        enabled: patch.enabled === undefined ? row.enabled : Number(patch.enabled),
        drain: patch.drain === undefined ? row.drain : Number(patch.drain),
        updated_at: now,
      };
      commitOrigin(this.store, next, healthOf(row), adminReason(patch), now);
      this.store.bump();
      return { ok: true, value: toOrigin(this.store.originRow(service, id)!) };
    });
    if (result.ok) await this.rearm();
    return result;
  }

  async deleteOrigin(service: string, id: string): Promise<Found<null>> {
    const result = this.store.transaction((): Found<null> => {
      if (!this.store.serviceRow(service)) return MISSING_SERVICE;
      if (!this.store.deleteOrigin(service, id)) return MISSING_ORIGIN;
      this.store.bump();
      return { ok: true, value: null };
    });
    if (result.ok) await this.rearm();
    return result;
  }

  /** Renews an origin's TTL lease (and clears an expired one). */
  async heartbeat(service: string, id: string): Promise<Found<Origin>> {
    const result = this.store.transaction((): Found<Origin> => {
      if (!this.store.serviceRow(service)) return MISSING_SERVICE;
      const row = this.store.originRow(service, id);
      if (!row) return MISSING_ORIGIN;
      const now = Date.now();
      const health = healthOf(row);
      const renewed =
        row.ttl_s === null ? { ...health, ttl_expired: false } : applyLease(health, "ok", row.ttl_s, now).state;
      const next = { ...row, last_heartbeat_at: now };
      if (commitOrigin(this.store, next, renewed, "ttl: heartbeat received", now)) this.store.bump();
      return { ok: true, value: toOrigin(this.store.originRow(service, id)!) };
    });
    if (result.ok) await this.rearm();
    return result;
  }

  serviceHealth(service: string, eventLimit = 20): Found<ServiceHealth> {
    if (!this.store.serviceRow(service)) return MISSING_SERVICE;
    const origins = this.store.originRows(service).map(toOrigin);
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<string, number>;
    for (const o of origins) counts[o.health.status] = (counts[o.health.status] ?? 0) + 1;
    return {
      ok: true,
      value: {
        service,
        counts,
        origins: origins.map((o) => ({ id: o.id, url: o.url, health: o.health })),
        events: this.store.events(service, eventLimit).map(toEvent),
      },
    };
  }

  catalog(): Catalog {
    const services: Catalog["services"] = {};
    for (const s of this.store.serviceRows()) services[s.name] = { origins: [] };
    for (const o of this.store.originRows()) {
      services[o.service]?.origins.push({
        id: o.id,
        url: o.url,
        zone: o.zone,
        weight: o.weight,
        status: o.status as HealthStatus,
      });
    }
    return { version: this.store.version(), services };
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
    const until = Date.now() + Math.min(Math.max(0, waitMs), MAX_SNAPSHOT_WAIT_MS);
    while (this.store.version() === knownVersion) {
      const left = until - Date.now();
      if (left <= 0 || !(await this.watch.next(left))) return null;
    }
    return {
      version: this.store.version(),
      services: this.listServices(),
      origins: this.store.originRows().map(toSnapshotOrigin),
    };
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
        const config = JSON.parse(svc.config) as ServiceInput;
        const verdict = applyEjectionReport(healthOf(row), report, config.outlier_detection, peers, now);
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
    await runActiveChecks(this.store, fetch, Date.now);
    await this.rearm();
  }

  private writeNewOrigin(service: string, id: string, input: OriginInput, existing: OriginRow | null): Origin {
    const now = Date.now();
    const keep = existing !== null && existing.url === input.url;
    const base: OriginRow = {
      service,
      id,
      url: input.url,
      weight: input.weight,
      zone: input.zone,
      tags: JSON.stringify(input.tags),
      metadata: JSON.stringify(input.metadata),
      enabled: Number(input.enabled),
      drain: Number(input.drain),
      ttl_s: input.ttl_s,
      created_at: existing?.created_at ?? now,
      updated_at: now,
      last_heartbeat_at: keep ? existing.last_heartbeat_at : now,
      status: keep ? existing.status : "unknown",
      status_since: keep ? existing.status_since : now,
      health: keep ? existing.health : JSON.stringify(initialHealth(now)),
      wake_at: null,
    };
    const reason = existing === null ? "registered" : keep ? adminReason(input) : "re-registered with a new url";
    commitOrigin(this.store, base, healthOf(base), reason, now);
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

/** The event reason for an admin change of flags. */
function adminReason(change: { enabled?: boolean; drain?: boolean }): string {
  if (change.enabled === false) return "admin: disabled";
  if (change.drain === true) return "admin: draining";
  if (change.enabled === true || change.drain === false) return "admin: enabled";
  return "admin: updated";
}
