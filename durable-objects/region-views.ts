import { initialRegionState, type RegionState, regionHealth } from "../src/health/region";
import type { RegionHealthMap } from "../src/model/region";
import type { RegionStore } from "./region-store";
import { regionalServices, type RegionalService } from "./region-checks";
import type { RegistryStore } from "./store";

/** Each origin's per-region view (every region the service lists, `unknown` where none has reported yet). */
function viewsOf(store: RegistryStore, regions: RegionStore, service: RegionalService): Map<string, RegionHealthMap> {
  const rows = regions.serviceRows(service.name);
  const out = new Map<string, RegionHealthMap>();
  for (const origin of store.originRows(service.name)) {
    const view: RegionHealthMap = {};
    for (const region of service.regions) {
      const row = rows.find((r) => r.origin === origin.id && r.region === region && r.url === origin.url);
      const state = row ? (JSON.parse(row.state) as RegionState) : initialRegionState();
      view[region as keyof RegionHealthMap] = regionHealth(state);
    }
    out.set(origin.id, view);
  }
  return out;
}

/** `health.regions` of each origin of `service`, or null when the service has no regions. */
export function serviceRegionViews(
  store: RegistryStore,
  regions: RegionStore,
  service: string,
): Map<string, RegionHealthMap> | null {
  const found = regionalServices(regions, service)[0];
  return found ? viewsOf(store, regions, found) : null;
}

/** Every service with regions → origin id → its per-region view (the dashboard's). */
export function allRegionViews(
  store: RegistryStore,
  regions: RegionStore,
): Record<string, Record<string, RegionHealthMap>> {
  const out: Record<string, Record<string, RegionHealthMap>> = {};
  for (const service of regionalServices(regions)) {
    out[service.name] = Object.fromEntries(viewsOf(store, regions, service));
  }
  return out;
}
