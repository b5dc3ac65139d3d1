import type { ServiceInput } from "../src/model/service";
import { regionsOf } from "./region-checks";
import type { RegionalChecks } from "./regional";
import type { RegistryStore } from "./store";

/**
 * Inside a transaction: creates or replaces a service (its origins are
 * kept), schedules its checks and bumps the version; true when created.
 */
export function writeService(
  store: RegistryStore,
  regional: RegionalChecks,
  name: string,
  config: ServiceInput,
  now: number,
): boolean {
  const regions = regionsOf(config);
  const existing = store.serviceRow(name);
  const json = JSON.stringify(config);
  if (existing) store.updateService(name, json, now);
  else store.insertService(name, json, now);
  // With regions the regional checkers check the service, not this object's alarm (see region-checks.ts).
  const own = config.health_check !== null && regions.length === 0;
  store.setNextCheck(name, own ? now : null);
  // (Re)configured checks run at once, for every origin (within each run's budget).
  if (own) store.scheduleChecks(name, now);
  regional.configure(name, regions, now);
  store.bump();
  return existing === null;
}
