import { IndexHeap } from "./heap";
import { Ring } from "./ring";
import type { Endpoint } from "./types";

/**
 * Above this many distinct weights in one list, round robin switches from exact smooth weighted
 * round robin, which compares one candidate per distinct weight on every pick, to an earliest
 * deadline first order (Envoy's), which finds the next pick in O(log n).
 */
export const EXACT_MAX_WEIGHTS = 32;

/** A retry's list leaves out the origins tried already: at most `retries.attempts` (10). */
const MAX_LEFT_OUT = 16;

/**
 * The round-robin state of one endpoints array, starting from the smooth-WRR `currents` given
 * per index (all 0 when omitted).
 *
 * With at most {@link EXACT_MAX_WEIGHTS} distinct weights, picks are exactly nginx's smooth
 * weighted round robin: endpoints of equal weight gain the same on every pick, so each weight's
 * endpoints sit in a {@link Ring} in the order they come up, and a pick compares the ring fronts'
 * `current`s, kept lazily as `key + picks × weight` (exact for integer weights; within
 * floating-point rounding for slow-start fractions). With more, each endpoint is due again
 * `total / weight` picks after its last one and an {@link IndexHeap} finds the earliest: the
 * same shares per cycle and the same order within one weight, another interleaving across weights.
 * @example new Schedule([{ id: "a", weight: 5 }, { id: "b", weight: 1 }]).pick() // a
 */
export class Schedule {
  readonly #key: Float64Array;
  /** Exact mode: one ring per weight, and each endpoint's ring. */
  readonly #rings: Ring[] = [];
  readonly #ringOf: (Ring | undefined)[];
  /** Deadline mode: every endpoint by when it is due. */
  readonly #heap: IndexHeap | null = null;
  readonly #exact: boolean;
  #total = 0;
  #picks = 0;
  /** The list picks are made from: `endpoints`, or `endpoints` less `#out` for a retry. */
  #view: readonly Endpoint[];
  #out: number[] = [];

  constructor(
    readonly endpoints: readonly Endpoint[],
    currents?: Float64Array,
  ) {
    const n = endpoints.length;
    const key = (this.#key = new Float64Array(n));
    const live: number[] = [];
    /** Distinct weights (counted up to one past the limit), and each live endpoint's among them. */
    const weights: number[] = [];
    const groupOf: number[] = [];
    let total = 0;
    for (let i = 0; i < n; i++) {
      const w = endpoints[i]!.weight;
      if (!(w > 0)) continue;
      live.push(i);
      total += w;
      let g = find(weights, w);
      if (g < 0 && weights.length <= EXACT_MAX_WEIGHTS) g = weights.push(w) - 1;
      groupOf.push(g);
    }
    this.#total = total;
    this.#exact = weights.length <= EXACT_MAX_WEIGHTS;
    this.#ringOf = new Array<Ring | undefined>(n);
    if (this.#exact) {
      const members = weights.map((): number[] => []);
      live.forEach((i, k) => {
        key[i] = currents?.[i] ?? 0;
        members[groupOf[k]!]!.push(i);
      });
      this.#rings = weights.map((w, g) => {
        const ring = new Ring(w, members[g]!, key);
        for (const i of members[g]!) this.#ringOf[i] = ring;
        return ring;
      });
    } else {
      for (const i of live) key[i] = this.#keyOf(currents?.[i] ?? 0, endpoints[i]!.weight);
      this.#heap = new IndexHeap(live, key, n);
    }
    this.#view = endpoints;
  }

  /**
   * Makes `list` the one to pick from, if it is `endpoints` or, as a retry passes it, the same
   * endpoint objects in the same order with a few left out; false otherwise. Left-out ids lose
   * their place and start again from 0 when they are back, as in nginx.
   */
  use(list: readonly Endpoint[]): boolean {
    if (list === this.#view) return true;
    const out = list === this.endpoints ? [] : leftOut(this.endpoints, list);
    if (out === null) return false;
    for (const i of out) if (!this.#out.includes(i)) this.#leave(i);
    for (const i of this.#out) if (!out.includes(i)) this.#enter(i);
    this.#out = out;
    this.#view = list;
    return true;
  }

  /** The next endpoint of the list in use, or undefined when none has weight > 0. */
  pick(): Endpoint | undefined {
    const key = this.#key;
    let i: number | undefined;
    if (this.#heap !== null) {
      i = this.#heap.top();
      if (i === undefined) return undefined;
      key[i]! -= this.#total / this.endpoints[i]!.weight;
      this.#heap.fixTop();
    } else {
      let ring: Ring | undefined;
      let best = -Infinity;
      for (const r of this.#rings) {
        if (r.size === 0) continue;
        const c = key[r.front()]! + (this.#picks + 1) * r.weight;
        if (ring === undefined || c > best || (c === best && r.front() < ring.front())) {
          ring = r;
          best = c;
        }
      }
      if (ring === undefined) return undefined;
      i = ring.front();
      key[i]! -= this.#total;
      ring.advance(key);
    }
    this.#picks++;
    return this.endpoints[i];
  }

  /** The smooth-WRR `current` of `endpoints[i]` now (0 for weight <= 0 or left out), to carry over to another list. */
  current(i: number): number {
    const w = this.endpoints[i]!.weight;
    if (!(w > 0) || this.#out.includes(i)) return 0;
    const k = this.#key[i]!;
    return this.#exact ? k + this.#picks * w : this.#total + w * (k + this.#picks);
  }

  // Exact: current = key + picks × weight. Deadline: key = -(the pick at which current would reach total).
  #keyOf(current: number, weight: number): number {
    return this.#exact ? current - this.#picks * weight : (current - this.#total) / weight - this.#picks;
  }

  #leave(i: number): void {
    this.#total -= this.endpoints[i]!.weight;
    this.#ringOf[i]?.remove(i);
    this.#heap?.remove(i);
  }

  #enter(i: number): void {
    this.#total += this.endpoints[i]!.weight;
    this.#key[i] = this.#keyOf(0, this.endpoints[i]!.weight);
    this.#ringOf[i]?.insert(i, this.#key);
    this.#heap?.insert(i);
  }
}

// A plain loop over at most EXACT_MAX_WEIGHTS + 1 numbers, cheaper than a builtin call per endpoint.
function find(weights: readonly number[], w: number): number {
  for (let g = 0; g < weights.length; g++) if (weights[g] === w) return g;
  return -1;
}

// Indexes (weight > 0) of `base` that `list` leaves out, when `list` is `base` with at most
// MAX_LEFT_OUT endpoints left out and the rest the same objects in the same order; else null.
function leftOut(base: readonly Endpoint[], list: readonly Endpoint[]): number[] | null {
  if (list.length > base.length || base.length - list.length > MAX_LEFT_OUT) return null;
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < base.length; i++) {
    if (j < list.length && list[j] === base[i]) j++;
    else if (base[i]!.weight > 0) out.push(i);
  }
  return j === list.length ? out : null;
}
