/** A verdict of a rate limiter: whether the request may go on, and when to retry if not. */
export interface RateVerdict {
  ok: boolean;
  /** Seconds until the key's window ends (whole, at least 1). */
  retryAfterS: number;
}

/** Most keys one isolate counts; past it, windows that have ended go first, then the oldest. */
const MAX_KEYS = 50_000;

/**
 * Fixed-window counters, per isolate: exact within one isolate, and so
 * approximate for a fleet (each isolate allows `limit` on its own). The
 * fallback when no RATE_LIMITER binding is bound. Clock injected.
 * @example const v = windows.hit("users|ip|203.0.113.7", 100, 60_000, Date.now())
 */
export class WindowCounter {
  readonly #windows = new Map<string, { start: number; count: number }>();

  hit(key: string, limit: number, periodMs: number, now: number): RateVerdict {
    const start = now - (now % periodMs);
    let w = this.#windows.get(key);
    if (w === undefined || w.start !== start) {
      if (w === undefined && this.#windows.size >= MAX_KEYS) this.#evict(start);
      w = { start, count: 0 };
      this.#windows.set(key, w);
    }
    w.count++;
    return { ok: w.count <= limit, retryAfterS: Math.max(1, Math.ceil((start + periodMs - now) / 1000)) };
  }

  get size(): number {
    return this.#windows.size;
  }

  #evict(current: number): void {
    for (const [key, w] of this.#windows) if (w.start !== current) this.#windows.delete(key);
    if (this.#windows.size >= MAX_KEYS) this.#windows.delete(this.#windows.keys().next().value!);
  }
}

/** What RATE_LIMITER was declared with in wrangler.toml (`[[ratelimits]] simple`), read from MESH_RATE_LIMITER_UNIT. */
export interface BindingUnit {
  limit: number;
  periodS: number;
}

/**
 * Parses MESH_RATE_LIMITER_UNIT (`"<limit>/<period_s>"`, e.g. `"10/10"`),
 * or null when it is unset or malformed.
 */
export function parseUnit(raw: string | undefined): BindingUnit | null {
  const m = raw?.trim().match(/^([1-9][0-9]{0,6})\/(10|60)$/);
  return m ? { limit: Number(m[1]), periodS: Number(m[2]) } : null;
}

/**
 * How many binding keys ("slots") carry a service's limit: a Rate Limiting
 * binding counts a fixed `unit.limit` per key and period, so a limit of L
 * is spread over round(L / unit) keys, which together allow about L. Null
 * when the binding cannot express it (another period, or a limit below
 * the unit): the service is then counted per isolate.
 * @example slotsFor({ limit: 100, period_s: 60 }, { limit: 10, periodS: 60 }) // 10
 */
export function slotsFor(limit: { limit: number; period_s: number }, unit: BindingUnit): number | null {
  if (limit.period_s !== unit.periodS || limit.limit < unit.limit) return null;
  return Math.round(limit.limit / unit.limit);
}
