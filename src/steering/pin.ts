/**
 * The signed value of the `__flaremesh` cookie: `<origin id>.<expiry>.<mac>`,
 * the expiry in epoch seconds (base 36) and the mac HMAC-SHA-256 (base64url)
 * over the version, the service, the origin and the expiry, so that a pin
 * cannot be moved to another origin, service or time.
 */
const ORIGIN_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const EXPIRY = /^[0-9a-z]{1,9}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;
/** Longest cookie value worth reading: an id of 63, an expiry of 9, a mac of 43 and two dots. */
const VALUE_MAX = 120;
/** Clock skew between isolates that a fresh pin's expiry may show beyond the service's `ttl_s`. */
const SKEW_S = 60;

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

/**
 * The HMAC key pins are signed with, derived from `secret` by HKDF-SHA-256
 * with its own `info`, so that it is independent of every other use of the
 * secret (admin JWTs, log hashes). Derived once per secret per isolate.
 * @example const key = await pinKey(env.MESH_ADMIN_SECRET ?? "")
 */
export function pinKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = (async () => {
      // HKDF takes an empty input key too; the salt keeps its output apart from other HKDF uses of the secret.
      const ikm = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: encoder.encode("flaremesh"),
          info: encoder.encode("session-affinity v1"),
        },
        ikm,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign", "verify"],
      );
    })();
    keys.set(secret, key);
  }
  return key;
}

function signed(service: string, origin: string, expiry: string): Uint8Array {
  return encoder.encode(`v1\0${service}\0${origin}\0${expiry}`);
}

/**
 * A pin of `service` to `origin` until `nowMs + ttlS` seconds.
 * @example await signPin(key, "users", "users-1", Date.now(), 82800) // "users-1.t4k9qz.Xb3…"
 */
export async function signPin(
  key: CryptoKey,
  service: string,
  origin: string,
  nowMs: number,
  ttlS: number,
): Promise<string> {
  const expiry = (Math.floor(nowMs / 1000) + ttlS).toString(36);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, signed(service, origin, expiry)));
  return `${origin}.${expiry}.${base64url(mac)}`;
}

/**
 * The origin id a cookie value pins `service` to, or null when the value is
 * malformed, forged (its mac does not verify), for another service, expired,
 * or longer-lived than `ttlS` allows (the service's ttl was lowered since).
 * Never throws: a bad cookie is ignored, never an error.
 * @example await verifyPin(key, "users", cookie, Date.now(), 82800) // "users-1" or null
 */
export async function verifyPin(
  key: CryptoKey,
  service: string,
  value: string,
  nowMs: number,
  ttlS: number,
): Promise<string | null> {
  if (value.length > VALUE_MAX) return null;
  const [origin, expiry, mac, extra] = value.split(".");
  if (extra !== undefined || !origin || !expiry || !mac) return null;
  if (!ORIGIN_ID.test(origin) || !EXPIRY.test(expiry) || !MAC.test(mac)) return null;
  const left = Number.parseInt(expiry, 36) - nowMs / 1000;
  if (!(left > 0) || left > ttlS + SKEW_S) return null;
  const ok = await crypto.subtle.verify("HMAC", key, fromBase64url(mac), signed(service, origin, expiry));
  return ok ? origin : null;
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
