import type { Catalog, ServiceHealth } from "../src/model/catalog";
import { type HealthStatus, STATUSES } from "../src/model/origin";
import type { RegionHealthMap } from "../src/model/region";
import type { OriginState } from "../src/model/stats";
import { toEvent, toOrigin } from "./rows";
import type { RegistryStore } from "./store";

/**
 * `GET /services/{name}/health` of an existing service: counts by status, each origin's health (with its
 * per-region view when the service has regions), recent events.
 */
export function serviceHealthView(
  store: RegistryStore,
  service: string,
  eventLimit: number,
  regions: ReadonlyMap<string, RegionHealthMap> | null = null,
): ServiceHealth {
  const origins = store.originRows(service).map(toOrigin);
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<string, number>;
  for (const o of origins) counts[o.health.status] = (counts[o.health.status] ?? 0) + 1;
  return {
    service,
    counts,
    origins: origins.map((o) => {
      const view = regions?.get(o.id);
      return { id: o.id, url: o.url, health: view ? { ...o.health, regions: view } : o.health };
    }),
    events: store.events(service, eventLimit).map(toEvent),
  };
}

/** `GET /catalog`: every service's origins with their status, and the version they are at. */
export function catalogView(store: RegistryStore): Catalog {
  const services: Catalog["services"] = {};
  for (const s of store.serviceRows()) services[s.name] = { origins: [] };
  for (const o of store.originRows()) {
    services[o.service]?.origins.push({
      id: o.id,
      url: o.url,
      zone: o.zone,
      weight: o.weight,
      status: o.status as HealthStatus,
    });
  }
  return { version: store.version(), services };
}

/** Every origin's health as the metrics show it, with what the routing feed leaves out (last check, last error). */
export function originStatesView(store: RegistryStore): OriginState[] {
  return store.originRows().map((row) => {
    const o = toOrigin(row);
    return {
      service: row.service,
      id: o.id,
      url: o.url,
      zone: o.zone,
      weight: o.weight,
      status: o.health.status,
      since: o.health.since,
      last_check_ms: o.health.last_check_ms,
      last_error: o.health.last_error,
    };
  });
}
