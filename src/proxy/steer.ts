import type { Balancer, Endpoint } from "../balancer/index";
import type { MeshEnv } from "../config";
import { affinityPick } from "../steering/affinity";
import { choosePool } from "../steering/choose";
import { AFFINITY_COOKIE, cookieValue, setAffinityCookie, withoutCookie } from "../steering/cookies";
import { pinKey, signPin, verifyPin } from "../steering/pin";
import { poolView } from "../steering/pools";
import { geoOf, type RequestCf } from "./dev-cf";
import type { EligibleSet } from "./eligible";
import type { ServiceRuntime } from "./routing-cache";
import { poolBalancer, type SteerRuntime } from "./steer-runtime";

/** `x-mesh-pool` (and the log's and metrics' `pool`) when no pool was healthy: panic over every origin. */
export const PANIC_POOL = "*";

/** What steering and affinity decided for one request. */
export interface Steered {
  /** The origins its tries may go to: the chosen pool's, or the service's whole eligible set. */
  set: EligibleSet;
  balancer: Balancer;
  /** The first try's origin (affinity), or null for the balancer's pick. */
  first: Endpoint | null;
  /** The chosen pool, `*` for panic; null when the service does not steer (`policy: "off"`). */
  pool: string | null;
  /** Why, for `server-timing: steer;desc=…`. */
  why: string | null;
  /** The session-affinity type, when the service has one. */
  affinity: "cookie" | "header" | "ip_cookie" | null;
  /** The origin id a verified cookie pinned the client to. */
  pinned: string | null;
  /** The answer sets a new pin (cookie or ip_cookie, and the client was not validly pinned to an eligible origin). */
  repin: boolean;
}

/**
 * Steers one request of a service that uses SPEC §7: chooses its pool from
 * the eligible set and where it comes from (no registry call), then its first
 * origin under session affinity. The pinning cookie is verified here; a
 * forged, stale or malformed one counts as none.
 * @example const steered = await steer(service, rt, set, request, cf, clientIp, env, now, Math.random)
 */
export async function steer(
  service: ServiceRuntime,
  rt: SteerRuntime,
  set: EligibleSet,
  request: Request,
  cf: RequestCf | undefined,
  clientIp: string | null,
  env: MeshEnv,
  now: number,
  rng: () => number,
): Promise<Steered> {
  let members = set;
  let balancer = service.balancer;
  let pool: string | null = null;
  let why: string | null = null;
  if (rt.plan !== null) {
    const view = (rt.view = poolView(rt.plan, set, rt.view));
    const choice = choosePool(view, geoOf(cf), rng);
    why = choice.why;
    pool = choice.pool ?? PANIC_POOL;
    if (choice.pool !== null) {
      members = poolSet(set, view.members.get(choice.pool)!.endpoints);
      balancer = poolBalancer(rt, choice.pool);
    }
  }
  const { type, ttl_s: ttl, header } = rt.affinity;
  if (type === "none")
    return { set: members, balancer, first: null, pool, why, affinity: null, pinned: null, repin: false };
  const name = service.config.name;
  let pinned: string | null = null;
  if (type !== "header") {
    const value = cookieValue(request.headers.get("cookie"), AFFINITY_COOKIE);
    if (value !== null) pinned = await verifyPin(await pinKey(pinSecret(env)), name, value, now, ttl);
  }
  const hashKey = type === "header" ? request.headers.get(header!) : type === "ip_cookie" ? clientIp : null;
  const keys = { pinned: pinned === null ? null : `${name}/${pinned}`, hashKey };
  const pick = affinityPick(type, members.endpoints, keys, rt.ring, rng, now);
  return { set: members, balancer, first: pick.first, pool, why, affinity: type, pinned, repin: pick.repin };
}

/**
 * The secret pins are keyed from: the admin secret, as every isolate of a
 * deployment holds it; else the signing key; else none (then a pin is only
 * as good as an unsigned one: it can only ever choose among eligible origins).
 */
function pinSecret(env: MeshEnv): string {
  return env.MESH_ADMIN_SECRET ?? env.MESH_SIGNING_KEY ?? "";
}

const poolSets = new WeakMap<readonly Endpoint[], EligibleSet>();

/** A pool's members as an eligible set of their own (made once per members array and set). */
function poolSet(set: EligibleSet, endpoints: readonly Endpoint[]): EligibleSet {
  const known = poolSets.get(endpoints);
  if (
    known !== undefined &&
    known.origins === set.origins &&
    known.ejected === set.ejected &&
    known.total === set.total
  )
    return known;
  const made = {
    endpoints,
    healthy: endpoints,
    origins: set.origins,
    panic: false,
    ejected: set.ejected,
    total: set.total,
  };
  poolSets.set(endpoints, made);
  return made;
}

/** Drops the affinity cookie from the headers an origin will get: it is the mesh's, not the origin's. */
export function stripAffinityCookie(headers: Headers): void {
  const cookie = headers.get("cookie");
  if (cookie === null || !cookie.includes(AFFINITY_COOKIE)) return;
  const rest = withoutCookie(cookie, AFFINITY_COOKIE);
  if (rest === null) headers.delete("cookie");
  else headers.set("cookie", rest);
}

/**
 * Says on a response what steering did: `x-mesh-pool` and a `steer` entry
 * added to `server-timing` (after the origin's own entries), and an
 * `affinity` entry (when an origin answered). `originId`: the origin that answered, null for the mesh's own error.
 * @example explain(out, steered, tries.originId)
 */
export function explain(headers: Headers, s: Steered, originId: string | null): void {
  const timing: string[] = [];
  if (s.pool !== null) {
    headers.set("x-mesh-pool", s.pool);
    timing.push(`steer;desc=${quoted(s.why!)}`);
  }
  // The mesh's own error has no origin to speak of.
  if (s.affinity !== null && originId !== null)
    timing.push(`affinity;desc=${quoted(`${s.affinity} ${affinityOutcome(s, originId)}`)}`);
  if (timing.length === 0) return;
  const existing = headers.get("server-timing");
  headers.set("server-timing", existing ? `${existing}, ${timing.join(", ")}` : timing.join(", "));
}

/**
 * Pins the client to `originId` with a new signed `__flaremesh` cookie (next
 * to the origin's own `Set-Cookie`s) when it answered a client that was not
 * validly pinned to it: a first visit, a forged or stale cookie, or a pinned
 * origin that stopped being eligible (or failed, and a retry answered).
 * @example await pin(out, steered, tries.originId, service.config, env, Date.now())
 */
export async function pin(
  headers: Headers,
  s: Steered,
  originId: string,
  config: { name: string; session_affinity: { ttl_s: number } },
  env: MeshEnv,
  now: number,
): Promise<void> {
  if (s.affinity === null || s.affinity === "header" || (!s.repin && originId === s.pinned)) return;
  const ttl = config.session_affinity.ttl_s;
  const value = await signPin(await pinKey(pinSecret(env)), config.name, originId, now, ttl);
  headers.append("set-cookie", setAffinityCookie(value, ttl));
}

/** `kept` (pinned and answered there), `new` (no valid pin), `moved` (re-pinned), `hashed`, `unkeyed`. */
function affinityOutcome(s: Steered, originId: string): string {
  if (s.affinity === "header") return s.first === null ? "unkeyed" : "hashed";
  if (s.pinned === null) return "new";
  return originId === s.pinned && !s.repin ? "kept" : "moved";
}

function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, "\\$&")}"`;
}
