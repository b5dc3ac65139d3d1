import type { Balancer, Endpoint } from "./types";

interface Slot {
  current: number;
  /** The pick that last saw this id, to find ids that have left the list. */
  seen: number;
}

/**
 * Smooth weighted round robin exactly as nginx does it: every pick adds each weight to its
 * endpoint's `current`, takes the largest (first in list order on ties) and subtracts the total
 * from it. State is keyed by endpoint id, so a refreshed list with the same ids keeps its place.
 * Use one instance per service.
 * @example
 * const rr = roundRobin();
 * const eps = [{ id: "a", weight: 5 }, { id: "b", weight: 1 }, { id: "c", weight: 1 }];
 * // seven picks: a a b a c a a
 * rr.pick(eps, { rng, now });
 */
export function roundRobin(): Balancer {
  const slots = new Map<string, Slot>();
  let picks = 0;

  return {
    pick(endpoints: readonly Endpoint[]): Endpoint | undefined {
      const stamp = ++picks;
      let total = 0;
      let live = 0;
      let best: Endpoint | undefined;
      let bestSlot: Slot | undefined;
      for (const e of endpoints) {
        if (!(e.weight > 0)) continue;
        let slot = slots.get(e.id);
        if (slot === undefined) {
          slot = { current: 0, seen: 0 };
          slots.set(e.id, slot);
        }
        if (slot.seen !== stamp) {
          slot.seen = stamp;
          live++;
        }
        slot.current += e.weight;
        total += e.weight;
        if (bestSlot === undefined || slot.current > bestSlot.current) {
          best = e;
          bestSlot = slot;
        }
      }
      if (bestSlot !== undefined) bestSlot.current -= total;
      // Drop ids that left the list (or went to weight 0) so they neither leak nor come back
      // with a stale head start; checking the size first keeps the steady state O(n).
      if (slots.size > live) {
        for (const [id, slot] of slots) if (slot.seen !== stamp) slots.delete(id);
      }
      return best;
    },
  };
}
