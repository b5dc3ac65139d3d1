import { Schedule } from "./schedule";
import type { Balancer, Endpoint } from "./types";

/**
 * Smooth weighted round robin as nginx does it: every pick adds each weight to its endpoint's
 * `current`, takes the largest (first in list order on ties) and subtracts the total from it.
 * State is keyed by endpoint id, so a refreshed list with the same ids keeps its place, and an
 * id that leaves the list (or drops to weight 0) is forgotten. Ids must be unique in a list.
 *
 * The schedule for a list is built once (O(n)) and reused while the same array comes back, as
 * `eligible()` returns it, or comes back with a few origins left out, as a retry passes it; a
 * pick then costs one comparison per distinct weight plus O(1) amortized. Lists with more than
 * `EXACT_MAX_WEIGHTS` (32) distinct weights get an earliest-deadline order instead, with the
 * same shares (see `Schedule`). Use one instance per service.
 * @example
 * const rr = roundRobin();
 * const eps = [{ id: "a", weight: 5 }, { id: "b", weight: 1 }, { id: "c", weight: 1 }];
 * // seven picks: a a b a c a a
 * rr.pick(eps, { rng, now });
 */
export function roundRobin(): Balancer {
  let current = new Schedule([]);

  return {
    pick(endpoints: readonly Endpoint[]): Endpoint | undefined {
      if (!current.use(endpoints))
        current = new Schedule(endpoints, aligned(current, endpoints) ?? byId(current, endpoints));
      return current.pick();
    },
  };
}

// When one list is the other with some ids left out, in the same order (an origin added or
// removed, new weights for the same origins), ids line up in one pass without hashing. Else null.
function aligned(from: Schedule, to: readonly Endpoint[]): Float64Array | null {
  const old = from.endpoints;
  const out = new Float64Array(to.length);
  if (to.length <= old.length) {
    let i = 0;
    for (let j = 0; j < to.length; j++, i++) {
      const id = to[j]!.id;
      while (i < old.length && old[i]!.id !== id) i++;
      if (i === old.length) return null;
      out[j] = from.current(i);
    }
  } else {
    let j = 0;
    for (let i = 0; i < old.length; i++, j++) {
      const id = old[i]!.id;
      // Entries of `to` skipped here are new, so they start at 0.
      while (j < to.length && to[j]!.id !== id) j++;
      if (j === to.length) return null;
      out[j] = from.current(i);
    }
  }
  return out;
}

function byId(from: Schedule, to: readonly Endpoint[]): Float64Array {
  const currents = new Map<string, number>();
  from.endpoints.forEach((e, i) => {
    if (e.weight > 0) currents.set(e.id, from.current(i));
  });
  return Float64Array.from(to, (e) => currents.get(e.id) ?? 0);
}
