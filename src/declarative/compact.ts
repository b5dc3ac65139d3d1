import { IntentionInput } from "../model/intention";
import { LogSinkInput } from "../model/log-sink";
import type { MeshConfig } from "../model/mesh-config";
import { OriginInput } from "../model/origin";
import { Route, ServiceInput } from "../model/service";
import { equal, isPlain } from "./equal";

/** What a resource is when a document gives only its `required` fields: the defaults of the others. */
function defaultsOf(schema: { parse(v: unknown): unknown }, required: Record<string, unknown>) {
  const all = schema.parse(required) as Record<string, unknown>;
  for (const key of Object.keys(required)) delete all[key];
  return all;
}

const SERVICE_DEFAULTS = defaultsOf(ServiceInput, { routes: [{}] });
const ORIGIN_DEFAULTS = defaultsOf(OriginInput, { url: "https://x.invalid" });
const INTENTION_DEFAULTS = defaultsOf(IntentionInput, { action: "allow" });
const SINK_DEFAULTS = defaultsOf(LogSinkInput, { url: "https://x.invalid" });
const ROUTE_DEFAULTS = defaultsOf(Route, {});

/**
 * `value` without what equals `defaults` (recursively into objects both
 * have), so that parsing the result gives `value` back.
 * @example compact({ weight: 1, url: "https://a" }, { weight: 1 }) // { url: "https://a" }
 */
export function compact(value: unknown, defaults: unknown): unknown {
  if (!isPlain(value) || !isPlain(defaults)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (!(key in defaults)) out[key] = v;
    else if (!equal(v, defaults[key])) out[key] = compact(v, defaults[key]);
  }
  return out;
}

const compactAll = <T>(record: Record<string, T>, defaults: unknown) =>
  Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((k) => [k, compact(record[k], defaults)]),
  );

/**
 * The document a full mesh state exports as: only what differs from the
 * defaults, keys sorted, so a file in git stays short and a re-export of an
 * unchanged mesh is byte-identical.
 * @example exportDocument(state).services.users // { routes: [{ path_prefix: "/users" }], origins: { … } }
 */
export function exportDocument(state: MeshConfig): Record<string, unknown> {
  const services = Object.fromEntries(
    Object.keys(state.services)
      .sort()
      .map((name) => {
        const { origins, routes, ...rest } = state.services[name]!;
        const body = compact({ ...rest }, SERVICE_DEFAULTS) as Record<string, unknown>;
        const compacted = { routes: routes.map((r) => compact(r, ROUTE_DEFAULTS)), ...body };
        return [name, { ...compacted, origins: compactAll(origins, ORIGIN_DEFAULTS) }];
      }),
  );
  const intentions = [...state.intentions]
    .sort((a, b) => `${a.source}/${a.destination}`.localeCompare(`${b.source}/${b.destination}`))
    .map(({ source, destination, ...rule }) => ({
      source,
      destination,
      ...(compact(rule, INTENTION_DEFAULTS) as object),
    }));
  return { services, log_sinks: compactAll(state.log_sinks, SINK_DEFAULTS), intentions };
}
