import type { MeshEnv } from "../config";
import { parseIPv4, parseIPv6 } from "../model/ip";

/** `MESH_LOG_CLIENT_IP`: how request logs record the client address (SPEC §2). */
export type ClientIpMode = "full" | "truncated" | "hashed" | "off";

const MODES: readonly ClientIpMode[] = ["full", "truncated", "hashed", "off"];

/** The configured mode; anything unset or unknown means the default, `truncated`. */
export function clientIpMode(value: string | undefined): ClientIpMode {
  const mode = value?.trim().toLowerCase();
  return MODES.includes(mode as ClientIpMode) ? (mode as ClientIpMode) : "truncated";
}

/**
 * The client address as a log may record it: `full` as given, `truncated`
 * to its /24 (IPv4) or /48 (IPv6) network, `hashed` to the first 16 hex
 * digits of HMAC-SHA-256 under a key derived from `hashSecret` ({@link logHashSecret}:
 * stable across isolates, not reversible by enumerating the IPv4 space without it), `off` as null.
 * Anything that is not an IP address is recorded as null unless `full`.
 * @example await redactClientIp("203.0.113.77", "truncated", logHashSecret(env)) // "203.0.113.0"
 */
export async function redactClientIp(
  ip: string | null,
  mode: ClientIpMode,
  hashSecret: string,
): Promise<string | null> {
  if (mode !== "hashed") return redactClientIpNow(ip, mode);
  if (ip === null || ip === "" || truncateIp(ip) === null) return null;
  return hmacHex(hashSecret, canonicalIp(ip) ?? ip);
}

/**
 * `redactClientIp` for the modes that need no HMAC: synchronous, so a log
 * line can be made the moment a request is recorded.
 * @example redactClientIpNow("203.0.113.77", "truncated") // "203.0.113.0"
 */
export function redactClientIpNow(ip: string | null, mode: Exclude<ClientIpMode, "hashed">): string | null {
  if (ip === null || ip === "" || mode === "off") return null;
  return mode === "full" ? ip.slice(0, 64) : truncateIp(ip);
}

/** The /24 (IPv4) or /48 (IPv6) network of an address; IPv4-mapped IPv6 counts as IPv4. */
export function truncateIp(ip: string): string | null {
  const v4 = parseIPv4(ip) ?? mappedIPv4(ip);
  if (v4) return `${v4[0]}.${v4[1]}.${v4[2]}.0`;
  const v6 = parseIPv6(ip);
  if (!v6) return null;
  const groups = [0, 1, 2].map((i) => (v6[2 * i]! << 8) | v6[2 * i + 1]!);
  return formatIPv6([...groups, 0, 0, 0, 0, 0]);
}

/** One spelling per address, so that `::FFFF:1.2.3.4` and `1.2.3.4` hash alike. */
function canonicalIp(ip: string): string | null {
  const v4 = parseIPv4(ip) ?? mappedIPv4(ip);
  if (v4) return v4.join(".");
  const v6 = parseIPv6(ip);
  if (!v6) return null;
  return formatIPv6(Array.from({ length: 8 }, (_, i) => (v6[2 * i]! << 8) | v6[2 * i + 1]!));
}

function mappedIPv4(ip: string): Uint8Array | null {
  const v6 = parseIPv6(ip);
  if (!v6 || v6.slice(0, 10).some((b) => b !== 0) || v6[10] !== 0xff || v6[11] !== 0xff) return null;
  return v6.slice(12);
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function formatIPv6(groups: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/**
 * The secret that `hashed` mode derives its HMAC key from: `MESH_ADMIN_SECRET`, because the hash
 * must be the same in every isolate and that is the one secret every isolate of a deployment holds.
 * The secret is never the HMAC key itself (see {@link hashKey}). Without one (JWKS mode) the key is
 * derived from "" and a hash is only pseudonymous, as docs/OBSERVABILITY.md says.
 * @example await finishLine(pending, logHashSecret(env))
 */
export function logHashSecret(env: Pick<MeshEnv, "MESH_ADMIN_SECRET">): string {
  return env.MESH_ADMIN_SECRET ?? "";
}

const keys = new Map<string, Promise<CryptoKey>>();

/**
 * The client-address HMAC key, derived from `secret` by a domain-separation prefix: HMAC under
 * "flaremesh client-ip v1\0" + secret is independent of HS256 under the secret, so a log hash is
 * never a MAC the admin JWT key would make. Changing the derivation would change every hash a log
 * consumer has already seen, so it stays as it is (hence the version in the prefix).
 */
function hashKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(`flaremesh client-ip v1\0${secret}`),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    keys.set(secret, key);
  }
  return key;
}

async function hmacHex(secret: string, data: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hashKey(secret), new TextEncoder().encode(data)));
  return Array.from(mac.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}
