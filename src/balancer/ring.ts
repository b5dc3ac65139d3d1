/**
 * Whether endpoint `a` comes up before `b`: higher key first, then lower index (list order), as
 * smooth weighted round robin breaks ties.
 * @example before(0, 1, Float64Array.of(3, 5)) // false
 */
export function before(a: number, b: number, key: Float64Array): boolean {
  return key[a]! > key[b]! || (key[a] === key[b] && a < b);
}

/**
 * The endpoints of one weight (indexes into the list) in the order they come up. Endpoints of
 * equal weight gain the same on every pick, so their order changes only when one is picked and
 * its key drops: it usually goes to the back, which is O(1).
 * @example const ring = new Ring(1, [0, 1, 2], key); ring.front() // 0
 */
export class Ring {
  readonly #order: Int32Array;
  #head = 0;
  #size: number;

  constructor(
    readonly weight: number,
    members: readonly number[],
    key: Float64Array,
  ) {
    this.#order = inPickOrder(members, key);
    this.#size = members.length;
  }

  get size(): number {
    return this.#size;
  }

  /** The endpoint that comes up next (the ring must not be empty). */
  front(): number {
    return this.#order[this.#head]!;
  }

  /** Moves the front, whose key just dropped, to where it now belongs. */
  advance(key: Float64Array): void {
    const i = this.front();
    this.#head = this.#head + 1 === this.#order.length ? 0 : this.#head + 1;
    this.#size--;
    this.insert(i, key);
  }

  /** Puts endpoint `i` (one of the ring's members, now out of it) in its place, looking from the back. */
  insert(i: number, key: Float64Array): void {
    const order = this.#order;
    const cap = order.length;
    let slot = (this.#head + this.#size) % cap;
    for (let k = 0; k < this.#size; k++) {
      const prev = slot === 0 ? cap - 1 : slot - 1;
      if (!before(i, order[prev]!, key)) break;
      order[slot] = order[prev]!;
      slot = prev;
    }
    order[slot] = i;
    this.#size++;
  }

  /** Takes endpoint `i` out of the ring. */
  remove(i: number): void {
    const order = this.#order;
    const cap = order.length;
    const end = this.#head + this.#size;
    // Slots outside [head, head + size) hold stale copies, so search only inside.
    let p = order.subarray(this.#head, Math.min(end, cap)).indexOf(i);
    if (p >= 0) p += this.#head;
    else if (end > cap) p = order.subarray(0, end - cap).indexOf(i);
    if (p < 0) return;
    // Close the gap by moving the later endpoints up one slot.
    for (let k = (p - this.#head + cap) % cap; k < this.#size - 1; k++) {
      const next = p + 1 === cap ? 0 : p + 1;
      order[p] = order[next]!;
      p = next;
    }
    this.#size--;
  }
}

// List order is usually pick order already (a fresh start) or a rotation of it (a ring carried
// over from the previous list), so look for the one place where it wraps before sorting.
function inPickOrder(members: readonly number[], key: Float64Array): Int32Array {
  const n = members.length;
  let start = 0;
  let wraps = 0;
  for (let k = 1; k < n; k++) {
    if (before(members[k]!, members[k - 1]!, key)) {
      wraps++;
      start = k;
    }
  }
  if (wraps > 1 || (wraps === 1 && before(members[0]!, members[n - 1]!, key))) {
    return Int32Array.from([...members].sort((a, b) => key[b]! - key[a]! || a - b));
  }
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[k] = members[(start + k) % n]!;
  return order;
}
