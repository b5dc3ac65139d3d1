// The mesh's admin API, as an operator's script would call it: HS256 tokens
// signed with the admin secret (jose), JSON in and out.
import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";

/** A fresh random admin secret (48 characters, above the mesh's 32-byte floor). */
export function newSecret() {
  return randomBytes(36).toString("base64url");
}

/**
 * An admin client for the mesh at `baseUrl`.
 * @example const admin = adminClient(url, secret); await admin.put("/services/web", { routes: [{ path_prefix: "/" }] });
 */
export function adminClient(baseUrl, secret) {
  const key = new TextEncoder().encode(secret);
  let cached = null;
  const token = async () => {
    const now = Math.floor(Date.now() / 1000);
    if (cached && cached.exp - now > 300) return cached.jwt;
    const exp = now + 3600;
    const jwt = await new SignJWT({ scope: "mesh:read mesh:write", sub: "bench" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(key);
    cached = { jwt, exp };
    return jwt;
  };
  const call = async (method, path, body) => {
    const headers = { authorization: `Bearer ${await token()}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const url = path.startsWith("/_mesh") ? `${baseUrl}${path}` : `${baseUrl}/_mesh/api/v1${path}`;
    const res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return { status: res.status, text, json: () => JSON.parse(text) };
  };
  return {
    token,
    get: (path) => call("GET", path),
    put: (path, body) => call("PUT", path, body),
    post: (path, body) => call("POST", path, body),
    delete: (path) => call("DELETE", path),
  };
}

/**
 * A service definition as the bench uses it: routed by host, no active
 * health checks (passive outlier detection only, like nginx), the spec's
 * default retries (2, on connect failure, timeout and 5xx).
 */
export function benchService(host, policy) {
  return { routes: [{ host, path_prefix: "/" }], load_balancer: { policy, hash_on: null }, health_check: null };
}

/** Registers `service` with origins `o1…oN` at `urls`; `extra` adds service fields (e.g. `hedge`). */
export async function configureService(admin, name, host, policy, urls, extra = {}) {
  await admin.put(`/services/${name}`, { ...benchService(host, policy), ...extra });
  for (const [i, url] of urls.entries()) await admin.put(`/services/${name}/origins/o${i + 1}`, { url });
}
