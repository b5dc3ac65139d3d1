import type { MeshEnv } from "../config";
import { MeshError } from "../errors";
import type { RateLimit } from "../model/rate-limit";
import { type RateVerdict, WindowCounter, parseUnit, slotsFor } from "../policy/rate-limit";

/** The isolate's own counters: used for what the binding cannot count, and when it fails. */
const windows = new WindowCounter();
/** Per key, the next binding slot to use, so one isolate spreads a key's requests evenly. */
const cursors = new Map<string, number>();
const MAX_CURSORS = 50_000;

/** Who a request counts against: its client address, its caller or a header's value (hashed: it may be a secret). */
async function keyOf(limit: RateLimit, caller: string, clientIp: string | null, headers: Headers): Promise<string> {
  if (limit.key === "ip") return `ip:${clientIp ?? "unknown"}`;
  if (limit.key === "caller") return `caller:${caller}`;
  const value = headers.get(limit.key.slice("header:".length)) ?? "";
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
  let hex = "";
  for (let i = 0; i < 8; i++) hex += digest[i]!.toString(16).padStart(2, "0");
  return `header:${hex}`;
}

function nextSlot(key: string, slots: number): number {
  let n = cursors.get(key);
  if (n === undefined) {
    if (cursors.size >= MAX_CURSORS) cursors.clear();
    n = Math.floor(Math.random() * slots);
  }
  cursors.set(key, n + 1);
  return n % slots;
}

/**
 * The 429 for a request past its service's `rate_limit` (SPEC §9), with the
 * seconds to wait, or null when it may go on. Counted by the RATE_LIMITER
 * binding when bound and able to express the limit (see `slotsFor`), else
 * by this isolate (approximate: each isolate allows the limit on its own).
 * @example const limited = await rateLimited(config.name, config.rate_limit, env, caller, clientIp, request.headers, now)
 */
export async function rateLimited(
  service: string,
  limit: RateLimit | null,
  env: MeshEnv,
  caller: string,
  clientIp: string | null,
  headers: Headers,
  now: number,
): Promise<{ error: MeshError; retryAfterS: number } | null> {
  if (limit === null) return null;
  const key = `${service}|${await keyOf(limit, caller, clientIp, headers)}`;
  const verdict = (await viaBinding(key, limit, env)) ?? windows.hit(key, limit.limit, limit.period_s * 1000, now);
  if (verdict.ok) return null;
  const by = limit.key === "ip" ? "client address" : limit.key === "caller" ? "caller" : limit.key;
  return {
    error: new MeshError(
      "ERR_RATE_LIMITED",
      `more than ${limit.limit} requests in ${limit.period_s} s to '${service}' for this ${by}; retry after ${verdict.retryAfterS} s`,
    ),
    retryAfterS: verdict.retryAfterS,
  };
}

/** The binding's verdict, or null when there is no usable binding for this limit (or it failed). */
async function viaBinding(key: string, limit: RateLimit, env: MeshEnv): Promise<RateVerdict | null> {
  const binding = env.RATE_LIMITER;
  const unit = parseUnit(env.MESH_RATE_LIMITER_UNIT);
  if (binding === undefined || unit === null) return null;
  const slots = slotsFor(limit, unit);
  if (slots === null) return null;
  try {
    const { success } = await binding.limit({ key: `${key}|${nextSlot(key, slots)}` });
    // The binding tells no window: the worst case is a whole period.
    return { ok: success, retryAfterS: limit.period_s };
  } catch (err) {
    console.error("rate limiter binding failed; counting in this isolate", err);
    return null;
  }
}
