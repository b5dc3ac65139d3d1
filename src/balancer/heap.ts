import { before } from "./ring";

/**
 * A binary heap of endpoint indexes with the one that comes up first (see {@link before}) on
 * top; it can also take out and put back any endpoint, each in O(log n).
 * @example const heap = new IndexHeap([0, 1, 2], key, 3); heap.top()
 */
export class IndexHeap {
  readonly #heap: Int32Array;
  /** Where each endpoint sits in `#heap`; -1 while it is out. */
  readonly #pos: Int32Array;
  readonly #key: Float64Array;
  #size = 0;

  /** `members` are indexes below `n` into `key`. */
  constructor(members: readonly number[], key: Float64Array, n: number) {
    this.#heap = new Int32Array(members.length);
    this.#pos = new Int32Array(n).fill(-1);
    this.#key = key;
    for (const i of members) this.#place(i, this.#size++);
    for (let p = (this.#size >> 1) - 1; p >= 0; p--) this.#down(p);
  }

  /** The endpoint that comes up next, if any. */
  top(): number | undefined {
    return this.#size > 0 ? this.#heap[0] : undefined;
  }

  /** Restores the order after the top's key dropped. */
  fixTop(): void {
    this.#down(0);
  }

  /** Takes endpoint `i` out. */
  remove(i: number): void {
    const p = this.#pos[i]!;
    if (p < 0) return;
    this.#pos[i] = -1;
    const last = this.#heap[--this.#size]!;
    if (p === this.#size) return;
    this.#place(last, p);
    this.#down(p);
    this.#up(this.#pos[last]!);
  }

  /** Puts endpoint `i` (one of the members, now out) back. */
  insert(i: number): void {
    this.#place(i, this.#size);
    this.#up(this.#size++);
  }

  #place(i: number, p: number): void {
    this.#heap[p] = i;
    this.#pos[i] = p;
  }

  #up(p: number): void {
    const h = this.#heap;
    while (p > 0) {
      const parent = (p - 1) >> 1;
      if (!before(h[p]!, h[parent]!, this.#key)) return;
      const i = h[p]!;
      this.#place(h[parent]!, p);
      this.#place(i, parent);
      p = parent;
    }
  }

  #down(p: number): void {
    const h = this.#heap;
    for (;;) {
      const l = 2 * p + 1;
      if (l >= this.#size) return;
      const r = l + 1;
      const c = r < this.#size && before(h[r]!, h[l]!, this.#key) ? r : l;
      if (!before(h[c]!, h[p]!, this.#key)) return;
      const i = h[p]!;
      this.#place(h[c]!, p);
      this.#place(i, c);
      p = c;
    }
  }
}
