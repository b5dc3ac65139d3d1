/** Bucket bounds grow by this factor: a quantile is off by at most 10%. */
const GROWTH = 1.1;
const LOG_GROWTH = Math.log(GROWTH);
/** Buckets per sketch: 1 ms … 1.1^160 ms (over an hour); longer samples land in the last. */
const BUCKETS = 161;

/** Tuning for {@link LatencySketches}. */
export interface LatencySketchOptions {
  /** Each half of the sliding window lasts this long; a quantile covers the last one to two halves. */
  readonly windowMs?: number;
  /** Samples a quantile needs before it answers (fewer: null). */
  readonly minSamples?: number;
  /** Services tracked at most; the least recently used are forgotten first. */
  readonly maxKeys?: number;
}

interface Sketch {
  /** Start (epoch ms, a multiple of the window) of `current`. */
  start: number;
  current: Uint32Array;
  previous: Uint32Array;
}

/** The bucket of a latency: 0 for ≤ 1 ms, else ⌈log₁.₁ ms⌉, capped. */
function bucketOf(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms) / LOG_GROWTH - 1e-9));
}

/**
 * Per-isolate latency sketches, one per key (a service): log-scale
 * histograms over a sliding window of the last 10–20 s, in fixed memory
 * (2 × 161 counters a key, at most `maxKeys` keys), answering quantiles to
 * within 10%. Time is injected.
 * @example
 * const sketches = new LatencySketches();
 * sketches.record("users", 12, now);
 * sketches.quantile("users", 0.95, now); // null until 20 samples
 */
export class LatencySketches {
  readonly #sketches = new Map<string, Sketch>();
  readonly #window: number;
  readonly #min: number;
  readonly #max: number;

  constructor(options: LatencySketchOptions = {}) {
    this.#window = options.windowMs ?? 10_000;
    this.#min = options.minSamples ?? 20;
    this.#max = options.maxKeys ?? 1_024;
  }

  /** Counts one latency (ms) for `key`. */
  record(key: string, ms: number, now: number): void {
    let s = this.#sketches.get(key);
    if (s === undefined) {
      if (this.#sketches.size >= this.#max) {
        const oldest = this.#sketches.keys().next();
        if (!oldest.done) this.#sketches.delete(oldest.value);
      }
      s = { start: this.#startOf(now), current: new Uint32Array(BUCKETS), previous: new Uint32Array(BUCKETS) };
    } else {
      // Re-inserting keeps the Map in least-recently-used order.
      this.#sketches.delete(key);
      this.#rotate(s, now);
    }
    this.#sketches.set(key, s);
    s.current[bucketOf(ms)]!++;
  }

  /** The q-quantile (0..1) of `key`'s recent latencies in ms (a bucket's upper bound), or null with too few samples. */
  quantile(key: string, q: number, now: number): number | null {
    const s = this.#sketches.get(key);
    if (s === undefined) return null;
    this.#rotate(s, now);
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) total += s.current[i]! + s.previous[i]!;
    if (total < this.#min || total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += s.current[i]! + s.previous[i]!;
      if (seen >= rank) return Math.round(GROWTH ** i);
    }
    return Math.round(GROWTH ** (BUCKETS - 1));
  }

  /** Number of keys tracked. */
  get size(): number {
    return this.#sketches.size;
  }

  #startOf(now: number): number {
    return Math.floor(now / this.#window) * this.#window;
  }

  // The window slides by halves: the half before the current one still counts, older ones do not.
  #rotate(s: Sketch, now: number): void {
    const start = this.#startOf(now);
    if (start === s.start) return;
    if (start - s.start === this.#window) {
      const old = s.previous;
      s.previous = s.current;
      old.fill(0);
      s.current = old;
    } else {
      s.previous.fill(0);
      s.current.fill(0);
    }
    s.start = start;
  }
}
