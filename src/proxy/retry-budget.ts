/** Seconds of history a budget counts (Linkerd's retry budget TTL). */
const WINDOW_S = 10;

interface Window {
  /** Second (epoch s) of each bucket, so stale buckets are recognised and reset. */
  seconds: number[];
  requests: number[];
  retries: number[];
}

/**
 * Per-isolate retry budgets, one per service: retries may not exceed
 * `ratio` × the requests of the last 10 s, with a floor of `minPerSecond`
 * retries per second so that light traffic can still retry (Linkerd's
 * retry budget). Time is injected.
 */
export class RetryBudget {
  readonly #windows = new Map<string, Window>();

  constructor(private readonly minPerSecond = 10) {}

  /** Counts a request (first tries only). */
  deposit(service: string, now: number): void {
    const w = this.#bucket(service, now);
    w.window.requests[w.i]!++;
  }

  /** Takes one retry if the budget allows it. */
  tryWithdraw(service: string, ratio: number, now: number): boolean {
    const { window, i } = this.#bucket(service, now);
    const current = Math.floor(now / 1000);
    let requests = 0;
    let retries = 0;
    for (let k = 0; k < WINDOW_S; k++) {
      if (current - window.seconds[k]! >= WINDOW_S) continue;
      requests += window.requests[k]!;
      retries += window.retries[k]!;
    }
    const allowed = Math.max(ratio * requests, this.minPerSecond * WINDOW_S);
    if (retries + 1 > allowed) return false;
    window.retries[i]!++;
    return true;
  }

  #bucket(service: string, now: number): { window: Window; i: number } {
    let window = this.#windows.get(service);
    if (!window) {
      window = {
        seconds: new Array(WINDOW_S).fill(-Infinity),
        requests: new Array(WINDOW_S).fill(0),
        retries: new Array(WINDOW_S).fill(0),
      };
      this.#windows.set(service, window);
    }
    const second = Math.floor(now / 1000);
    const i = second % WINDOW_S;
    if (window.seconds[i] !== second) {
      window.seconds[i] = second;
      window.requests[i] = 0;
      window.retries[i] = 0;
    }
    return { window, i };
  }
}
