import type { FeedReader } from "./routing-feed";
import { configOf, toSnapshotOrigin, type OriginRow, type ServiceRow } from "./rows";
import type { PolicyStore } from "./policy-store";
import type { RegistryStore } from "./store";

const serviceJson = (row: ServiceRow) => JSON.stringify({ name: row.name, ...configOf(row) });
const originJson = (row: OriginRow): [string, string, string] => [
  row.service,
  row.id,
  JSON.stringify(toSnapshotOrigin(row)),
];

/**
 * The routing feed's view of the registry's rows: services and origins as
 * the data plane receives them (their routing projection, as JSON).
 * @example const feed = new RoutingFeed(feedReader(store))
 */
export function feedReader(store: RegistryStore, policy?: PolicyStore): FeedReader {
  return {
    policy: () =>
      policy === undefined
        ? "null"
        : JSON.stringify({ intentions: policy.intentions(), identities: policy.identities() }),
    version: () => store.version(),
    services: () => store.serviceRows().map((r) => [r.name, serviceJson(r)]),
    origins: (service) => store.originRows(service).map(originJson),
    service: (name) => {
      const row = store.serviceRow(name);
      return row === null ? null : serviceJson(row);
    },
    origin: (service, id) => {
      const row = store.originRow(service, id);
      return row === null ? null : originJson(row)[2];
    },
  };
}
