import { type LimitBreach, type Limits, breach } from "../src/model/limits";
import type { OriginInput } from "../src/model/origin";
import type { ServiceInput } from "../src/model/service";
import type { RegistryStore } from "./store";

/**
 * A snapshot origin's fixed part (status, health times, weight, flags and
 * the JSON around them), for estimating snapshot size from rows.
 */
export const ORIGIN_FIXED_BYTES = 400;

/** The limit creating or replacing service `name` with `config` would pass, or null. */
export function serviceWriteBreach(
  store: RegistryStore,
  limits: Limits,
  name: string,
  config: ServiceInput,
): LimitBreach | null {
  const existing = store.serviceRow(name);
  const json = JSON.stringify(config).length;
  return breach(
    {
      services: existing ? undefined : store.countServices() + 1,
      routesPerService: config.routes.length,
      snapshotBytes: store.snapshotBytes(ORIGIN_FIXED_BYTES) + json - (existing ? existing.config.length : 0),
    },
    limits,
  );
}

/** The limit storing origin `id` of `service` (new, or replacing one) would pass, or null. */
export function originWriteBreach(
  store: RegistryStore,
  limits: Limits,
  service: string,
  id: string | null,
  input: OriginInput,
): LimitBreach | null {
  const existing = id === null ? null : store.originRow(service, id);
  const grows =
    ORIGIN_FIXED_BYTES +
    input.url.length +
    JSON.stringify(input.tags).length +
    JSON.stringify(input.metadata).length +
    (input.zone?.length ?? 0) +
    service.length +
    (id?.length ?? 8);
  const shrinks = existing
    ? ORIGIN_FIXED_BYTES +
      existing.url.length +
      existing.tags.length +
      existing.metadata.length +
      (existing.zone?.length ?? 0) +
      service.length +
      existing.id.length
    : 0;
  return breach(
    {
      originsPerService: existing ? undefined : store.countOrigins(service) + 1,
      snapshotBytes: store.snapshotBytes(ORIGIN_FIXED_BYTES) + grows - shrinks,
    },
    limits,
  );
}
