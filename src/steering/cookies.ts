/** The session-affinity cookie (SPEC §7). */
export const AFFINITY_COOKIE = "__flaremesh";

/**
 * The value of cookie `name` in a `Cookie` header (the first one when sent twice), or null.
 * @example cookieValue("a=1; __flaremesh=x.y.z", "__flaremesh") // "x.y.z"
 */
export function cookieValue(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * A `Cookie` header without cookie `name` (every copy of it), or null when nothing is left.
 * @example withoutCookie("a=1; __flaremesh=x; b=2", "__flaremesh") // "a=1; b=2"
 */
export function withoutCookie(header: string, name: string): string | null {
  const kept: string[] = [];
  for (const raw of header.split(";")) {
    const part = raw.trim();
    const eq = part.indexOf("=");
    if (part !== "" && (eq === -1 ? part : part.slice(0, eq).trim()) !== name) kept.push(part);
  }
  return kept.length === 0 ? null : kept.join("; ");
}

/**
 * The `Set-Cookie` value that pins a client: `HttpOnly` (scripts never see
 * it), `Secure`, `SameSite=Lax`, for the whole host, for `ttlS` seconds.
 * @example setAffinityCookie("users-1.lzk2x0.AbC…", 82800)
 */
export function setAffinityCookie(value: string, ttlS: number): string {
  return `${AFFINITY_COOKIE}=${value}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=${ttlS}`;
}
