/** Tuning for {@link LoadStats}. */
export interface LoadStatsOptions {
  /** Latency assumed per in-flight request to an endpoint with no samples yet (linkerd2-proxy uses 30 ms). */
  readonly defaultRttMs?: number;
  /** Time constant of the decay (Finagle and linkerd2-proxy use 10 s). */
  readonly decayMs?: number;
  /** Least RTT a failure counts as, so that fast errors never look cheap. */
  readonly penaltyMs?: number;
  /** Lowest estimate an idle endpoint decays to; bounds the burst it gets when it wins again. */
  readonly floorMs?: number;
  /** Endpoints tracked at most; the least recently used are forgotten first. */
  readonly maxEntries?: number;
  /** Least weight a sample below the estimate gets, however soon it follows the last one (default 0.1). */
  readonly minSampleWeight?: number;
}

interface Entry {
  /**
   * When the requests in flight were sent, oldest first: one per request (its length is the
   * in-flight count). Each end takes the oldest off, whichever request it was, so `starts[0]` is
   * never older than the oldest request really in flight: its age is a lower bound of the
   * endpoint's latency now.
   */
  starts: number[];
  /** Tries abandoned one after another with no answer between them (hedge races lost). */
  lost: number;
  /** Peak-EWMA latency in ms at `at`; NaN until the first sample. */
  rtt: number;
  at: number;
}

/**
 * Per-isolate in-flight counts and peak-EWMA latency per endpoint id, shared by the
 * `least_request` and `ewma` pickers. Keep one per service, or use ids unique across services.
 * @example
 * const load = new LoadStats();
 * load.begin("a", t0);
 * load.end("a", t1, t1 - t0, false);
 * load.cost("a", t1); // ≈ (t1 - t0) × (in-flight + 1)
 */
export class LoadStats {
  readonly #entries = new Map<string, Entry>();
  readonly #defaultRtt: number;
  readonly #tau: number;
  readonly #penalty: number;
  readonly #floor: number;
  readonly #max: number;
  readonly #keep: number;

  constructor(options: LoadStatsOptions = {}) {
    this.#defaultRtt = options.defaultRttMs ?? 30;
    this.#tau = options.decayMs ?? 10_000;
    this.#penalty = options.penaltyMs ?? 1_000;
    this.#floor = options.floorMs ?? 1;
    this.#max = options.maxEntries ?? 4_096;
    this.#keep = 1 - (options.minSampleWeight ?? 0.1);
  }

  /** Counts a request sent to `id`. */
  begin(id: string, now: number): void {
    this.#touch(id, now).starts.push(now);
  }

  /** Counts a request to `id` as finished after `rttMs`, and folds its latency into the estimate. */
  end(id: string, now: number, rttMs: number, failed: boolean): void {
    const e = this.#touch(id, now);
    e.starts.shift();
    e.lost = 0;
    const current = this.#estimate(e, now);
    // A failure may only raise the cost: otherwise an origin answering errors in 1 ms would
    // look like the fastest one and draw all the traffic.
    const rtt = failed ? Math.max(rttMs, current, this.#penalty) : Math.max(0, rttMs);
    if (Number.isNaN(e.rtt) || rtt >= current) {
      e.rtt = rtt;
    } else {
      // The longer since the last sample, the more the new one counts; and each counts for at
      // least a tenth, so that a peak every origin saw at once (a pause of the isolate itself
      // adds its length to every request in flight) is outvoted by a busy origin's next fast
      // answers within a second instead of lingering for the 10 s decay, which made an idle
      // slow origin look no worse than its peers meanwhile.
      const w = Math.min(this.#keep, Math.exp(-Math.max(0, now - e.at) / this.#tau));
      e.rtt = current * w + rtt * (1 - w);
    }
    e.at = now;
  }

  /**
   * Counts a request to `id` as given up after `elapsedMs` (a hedge race's loser): the time is only
   * a lower bound of its latency, so it may raise the estimate but never lower it. Losses in a row,
   * with no answer between them, double the bound each time (up to what a failure counts): a
   * healthy origin loses one race now and then, but one that is slow on every request loses them
   * all, and its single wait of a hedge delay would keep it looking nearly as fast as its peers.
   */
  abandon(id: string, now: number, elapsedMs: number): void {
    const e = this.#touch(id, now);
    e.starts.shift();
    e.lost++;
    const current = this.#estimate(e, now);
    const waited = Math.max(0, elapsedMs);
    const bound = Math.min(waited * 2 ** Math.min(e.lost - 1, 16), Math.max(this.#penalty, waited));
    if (Number.isNaN(e.rtt) || bound > current) {
      e.rtt = bound;
      e.at = now;
    }
  }

  /** Requests to `id` sent and not yet finished. */
  inflight(id: string): number {
    return this.#entries.get(id)?.starts.length ?? 0;
  }

  /**
   * Expected cost of one more request to `id`: latency × (in-flight + 1), where latency is the
   * peak-EWMA estimate or, when longer, the age of the oldest request in flight.
   */
  cost(id: string, now: number): number {
    const e = this.#entries.get(id);
    // As in Finagle, an endpoint never answered yet costs nothing while idle, so a new origin is
    // tried at once instead of starving behind peers faster than any default; each request it
    // has not answered yet counts the default RTT, so it is not swamped before it answers.
    if (e === undefined) return 0;
    // A request in flight for longer than the estimate shows the endpoint is slower than that now:
    // its age counts as the latency, so an origin that turned slow stops drawing requests after a
    // few of its peers' latencies instead of after its first slow answer.
    const inflight = e.starts.length;
    const age = inflight > 0 ? now - e.starts[0]! : 0;
    if (Number.isNaN(e.rtt)) return Math.max(this.#defaultRtt, age) * inflight;
    return Math.max(this.#estimate(e, now), age) * (inflight + 1);
  }

  /** Drops every endpoint not in `keep`, e.g. after a routing-table refresh. */
  forget(keep: Iterable<string>): void {
    const ids = new Set(keep);
    for (const id of this.#entries.keys()) if (!ids.has(id)) this.#entries.delete(id);
  }

  /** Number of endpoints tracked. */
  get size(): number {
    return this.#entries.size;
  }

  // Between samples the estimate decays toward zero, as in Finagle and tower: an origin that was
  // slow and stopped being picked gets cheaper with time alone until it is tried again, however
  // fast its peers are. Decaying toward a fixed default instead would starve it for good
  // whenever its peers are faster than that default.
  #estimate(e: Entry, now: number): number {
    if (Number.isNaN(e.rtt)) return this.#defaultRtt;
    const decayed = e.rtt * Math.exp(-Math.max(0, now - e.at) / this.#tau);
    return Math.max(this.#floor, decayed);
  }

  // Re-inserting keeps the Map in least-recently-used order, so eviction takes the first key.
  #touch(id: string, now: number): Entry {
    let e = this.#entries.get(id);
    if (e !== undefined) {
      this.#entries.delete(id);
    } else {
      e = { starts: [], lost: 0, rtt: Number.NaN, at: now };
      if (this.#entries.size >= this.#max) {
        const oldest = this.#entries.keys().next();
        if (!oldest.done) this.#entries.delete(oldest.value);
      }
    }
    this.#entries.set(id, e);
    return e;
  }
}
