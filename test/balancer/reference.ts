import type { Balancer, Endpoint } from "../../src/balancer/types";

// The pickers as they were before their fast paths: plain O(n) loops over the list on every
// pick. The properties check the fast paths against them wherever they claim the same picks.

interface Slot {
  current: number;
  seen: number;
}

/** nginx's smooth weighted round robin, one pass over the list per pick. */
export function referenceRoundRobin(): Balancer {
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
      if (slots.size > live) {
        for (const [id, slot] of slots) if (slot.seen !== stamp) slots.delete(id);
      }
      return best;
    },
  };
}

/** Weighted draw by subtracting weights in turn. */
export function referenceWeightedPick(endpoints: readonly Endpoint[], u: number): Endpoint | undefined {
  let total = 0;
  for (const e of endpoints) if (e.weight > 0) total += e.weight;
  if (!(total > 0)) return undefined;
  let x = u * total;
  let last: Endpoint | undefined;
  for (const e of endpoints) {
    if (!(e.weight > 0)) continue;
    last = e;
    x -= e.weight;
    if (x < 0) return e;
  }
  return last;
}

/** Power of two choices with both draws by subtracting weights in turn. */
export function referenceP2c(
  endpoints: readonly Endpoint[],
  rng: () => number,
  score: (e: Endpoint) => number,
): Endpoint | undefined {
  let total = 0;
  let count = 0;
  for (const e of endpoints) {
    if (e.weight > 0) {
      total += e.weight;
      count++;
    }
  }
  if (count === 0) return undefined;
  const i = draw(endpoints, rng() * total, -1);
  const a = endpoints[i]!;
  if (count === 1) return a;
  const b = endpoints[draw(endpoints, rng() * (total - a.weight), i)]!;
  return score(b) < score(a) ? b : a;
}

function draw(endpoints: readonly Endpoint[], x: number, skip: number): number {
  let last = -1;
  for (let i = 0; i < endpoints.length; i++) {
    const w = endpoints[i]!.weight;
    if (!(w > 0) || i === skip) continue;
    last = i;
    x -= w;
    if (x < 0) return i;
  }
  return last;
}
