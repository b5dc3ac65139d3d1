import type { Change, ConfigIntention, ConfigService, MeshConfig } from "../model/mesh-config";
import { equal } from "./equal";

/** The parts of a document the registry holds (log sinks live in the LogBuffer). */
export type RegistryConfig = Pick<MeshConfig, "services" | "intentions">;

/** A service's own configuration: everything but its origins. */
export function serviceOf(entry: ConfigService): Omit<ConfigService, "origins"> {
  const { origins: _, ...config } = entry;
  return config;
}

/** The path of an intention in a plan. */
export const intentionPath = (i: Pick<ConfigIntention, "source" | "destination">) =>
  `intentions/${i.source}/${i.destination}`;

/**
 * Creates and updates for what `desired` names and `current` lacks or holds
 * differently, then (with `prune`) deletes for what `current` holds and
 * `desired` does not name — without `prune` nothing is deleted, so a file
 * can describe part of a mesh. Sorted by path within each kind.
 */
export function diffRecords<T>(
  prefix: string,
  desired: Record<string, T>,
  current: Record<string, T>,
  prune: boolean,
): Change[] {
  const out: Change[] = [];
  for (const key of Object.keys(desired).sort()) {
    const before = current[key];
    const after = desired[key];
    if (before === undefined) out.push({ op: "create", path: `${prefix}${key}`, before: null, after });
    else if (!equal(before, after)) out.push({ op: "update", path: `${prefix}${key}`, before, after });
  }
  if (prune)
    for (const key of Object.keys(current).sort())
      if (!(key in desired)) out.push({ op: "delete", path: `${prefix}${key}`, before: current[key], after: null });
  return out;
}

const byPair = (list: ConfigIntention[]) => Object.fromEntries(list.map((i) => [`${i.source}/${i.destination}`, i]));

/**
 * The changes that take the registry from `current` to `desired`, in an
 * order that can be applied one after another: services created or updated,
 * then their origins (a deleted service's origins deleted first), then
 * services deleted, then intentions.
 * @example planRegistry(desired, current, false) // [{ op: "create", path: "services/users", … }]
 */
export function planRegistry(desired: RegistryConfig, current: RegistryConfig, prune: boolean): Change[] {
  const own = (r: Record<string, ConfigService>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, serviceOf(v)]));
  const services = diffRecords("services/", own(desired.services), own(current.services), prune);
  // A pruned service's origins are listed as deleted too, so that a rollback can bring them back.
  const names = new Set([...Object.keys(desired.services), ...(prune ? Object.keys(current.services) : [])]);
  const origins = [...names]
    .sort()
    .flatMap((name) =>
      diffRecords(
        `services/${name}/origins/`,
        desired.services[name]?.origins ?? {},
        current.services[name]?.origins ?? {},
        prune,
      ),
    );
  return [
    ...services.filter((c) => c.op !== "delete"),
    ...origins,
    ...services.filter((c) => c.op === "delete"),
    ...diffRecords("intentions/", byPair(desired.intentions), byPair(current.intentions), prune),
  ];
}

/**
 * The changes of a whole document: the registry's, then the log sinks'.
 * @example plan(desired, current, true).length === 0 // nothing to do
 */
export function plan(desired: MeshConfig, current: MeshConfig, prune: boolean): Change[] {
  return [
    ...planRegistry(desired, current, prune),
    ...diffRecords("log_sinks/", desired.log_sinks, current.log_sinks, prune),
  ];
}

/**
 * The changes that undo `changes` (applied in order): each inverted, last first.
 * @example invert([{ op: "create", path: "services/a", before: null, after: a }]) // [{ op: "delete", … }]
 */
export function invert(changes: Change[]): Change[] {
  return changes
    .map((c): Change => {
      const op = c.op === "create" ? "delete" : c.op === "delete" ? "create" : "update";
      return { op, path: c.path, before: c.after, after: c.before };
    })
    .reverse();
}
