import fc from "fast-check";
import { SignJWT, generateKeyPair, jwtVerify } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ERROR_CODES } from "../../src/errors";
import { DIRECT_KID, type DirectMesh, directMesh, refuseOutboundFetch } from "../helpers/direct";
import { clientCert, headerSet, requestMethod, requestPath } from "../helpers/fuzz-headers";

// A property test over what clients send the data plane: arbitrary header
// sets (the mesh's own x-mesh-* fields, forwarding and client-IP fields,
// forged or replayed caller tokens, hop-by-hop fields, cookies, hosts),
// paths and methods against a service with intentions, a certificate
// identity and a rate limit, whose origins (service bindings to an echo
// Worker) always answer 200 with the headers they got. The answer is never a
// 5xx but the documented 508 for a client-sent hop count; the caller, the
// intentions' verdict and the rate limit are what the oracle below says; and
// no spoofable field reaches the origin. Random seed per run (printed on failure).

const SERVICE = {
  routes: [{ host: "fuzz.example.com", path_prefix: "/api" }],
  strip_prefix: true,
  health_check: null,
  load_balancer: { policy: "hash", hash_on: "cookie:__flaremesh" },
  rate_limit: { key: "header:x-tenant", limit: 20, period_s: 60 },
};
const DN = "CN=billing,O=Example Corp";
const CODES: readonly string[] = ERROR_CODES;

/** Fields that never reach an origin as the client sent them. */
const NEVER_FORWARDED = [
  "x-mesh-caller",
  "x-real-ip",
  "forwarded",
  "true-client-ip",
  "x-client-ip",
  "x-original-url",
  "x-rewrite-url",
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];
/** The only x-mesh-* fields an origin may see: the mesh's own. */
const MESH_SET = new Set(["x-mesh-hops", "x-mesh-identity"]);

/** What SPEC §9's intentions (set up below) allow: the oracle, written apart from src/policy. */
function allowed(caller: string, method: string, path: string): boolean {
  if (caller === "billing") return !path.startsWith("/api/admin");
  if (caller === "external") return path.startsWith("/api/public") && (method === "GET" || method === "HEAD");
  return false; // orders: `orders → *` denies; users: no intention, MESH_DEFAULT_INTENTION=deny
}

/** The hop count the mesh reads (x-mesh-hops, 0 when absent or not a positive integer). */
function hopsOf(headers: Headers): number {
  const n = Number.parseInt(headers.get("x-mesh-hops") ?? "0", 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

const b64 = (v: object) => btoa(JSON.stringify(v)).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");

/** Tokens that must not make anyone a caller: expired, foreign, forged, replayed, or not service tokens. */
async function nearMisses(mesh: DirectMesh, valid: string): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims: object, opts: { kid?: string; key?: CryptoKey; exp?: number; aud?: string } = {}) =>
    new SignJWT({ token_use: "caller", ...claims })
      .setProtectedHeader({ alg: "EdDSA", kid: opts.kid ?? DIRECT_KID })
      .setIssuer("flaremesh")
      .setAudience(opts.aud ?? "flaremesh")
      .setSubject("billing")
      .setIssuedAt(now - 7200)
      .setExpirationTime(opts.exp ?? now + 3600)
      .sign(opts.key ?? mesh.privateKey);
  const other = (await generateKeyPair("EdDSA")).privateKey;
  const [header, , signature] = valid.split(".");
  return [
    await sign({}, { exp: now - 3600 }),
    await sign({}, { kid: "unknown" }),
    await sign({}, { key: other }),
    await sign({ token_use: "identity" }),
    await sign({}, { aud: "fuzz" }),
    // An x-mesh-identity assertion for this service: signed by the mesh, but no caller token.
    await new SignJWT({})
      .setProtectedHeader({ alg: "EdDSA", kid: DIRECT_KID })
      .setIssuer("flaremesh")
      .setAudience("fuzz")
      .setSubject("billing")
      .setExpirationTime(now + 60)
      .sign(mesh.privateKey),
    `${header}.${b64({ token_use: "caller", iss: "flaremesh", aud: "flaremesh", sub: "users", exp: now + 60 })}.${signature}`,
    `${b64({ alg: "none" })}.${b64({ token_use: "caller", iss: "flaremesh", aud: "flaremesh", sub: "billing" })}.`,
    `${valid}x`,
    "a.b.c",
    "null",
  ];
}

describe("proxy request headers (property test)", () => {
  afterEach(() => vi.restoreAllMocks());

  it("never answers a 5xx of its own but 508 for a hop count, decides as the intentions say, forwards nothing spoofable", async () => {
    const outbound = refuseOutboundFetch();
    const mesh = await directMesh({ MESH_DEFAULT_INTENTION: "deny" });
    const write = async (method: string, path: string, body: unknown) => {
      const res = await mesh.admin(method, path, body);
      expect([200, 201], `${method} ${path}: ${await res.clone().text()}`).toContain(res.status);
      return res.json() as Promise<Record<string, string>>;
    };
    await write("PUT", "/services/fuzz", SERVICE);
    await write("PUT", "/services/fuzz/origins/o1", { url: "service://ECHO_WORKER/a" });
    await write("PUT", "/services/fuzz/origins/o2", { url: "service://ECHO_WORKER/b" });
    await write("PUT", "/identities/billing", { cert_subject_dn: DN });
    await write("PUT", "/intentions/billing/fuzz", {
      action: "allow",
      permissions: [{ action: "deny", path_prefix: "/api/admin" }],
    });
    await write("PUT", "/intentions/external/fuzz", {
      action: "deny",
      permissions: [{ action: "allow", path_prefix: "/api/public", methods: ["GET", "HEAD"] }],
    });
    await write("PUT", "/intentions/orders/*", { action: "deny" });
    const valid = new Map<string, string>();
    for (const service of ["billing", "orders", "users"])
      valid.set((await write("POST", "/service-tokens", { service })).token!, service);
    const [billing, ...others] = valid.keys();
    const misses = await nearMisses(mesh, billing!);
    const callers = fc.oneof(
      { weight: 4, arbitrary: fc.constant(billing!) },
      { weight: 2, arbitrary: fc.constantFrom(...others) },
      { weight: 3, arbitrary: fc.constantFrom(...misses) },
    );
    const seen = new Map<number, number>();

    await fc.assert(
      fc.asyncProperty(
        headerSet(callers),
        requestPath,
        requestMethod,
        clientCert,
        fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
        async (pairs, path, rawMethod, cert, text) => {
          const headers = new Headers();
          for (const [name, value] of pairs) headers.append(name, value);
          // As a client sends it: the path as typed after the authority (a leading "//" stays a path).
          const url = new URL(`https://fuzz.example.com${path}`);
          const method = new Request(url, { method: rawMethod }).method;
          const body = method === "GET" || method === "HEAD" ? undefined : text;
          const init: RequestInit & { cf?: object } = { method, headers, body };
          if (cert) init.cf = { tlsClientAuth: cert };
          const res = await mesh.fetch(new Request(url, init));
          const answer = await res.text();
          const what = `${method} ${url.href} ${JSON.stringify(pairs)} cf=${JSON.stringify(cert)} → ${res.status} ${answer.slice(0, 300)}`;
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          // A HEAD answer has no body: the code is in x-mesh-error, which every mesh error carries.
          const code = res.status >= 400 ? res.headers.get("x-mesh-error") : null;
          if (res.status >= 400) {
            expect(CODES, what).toContain(code);
            if (method !== "HEAD") expect(JSON.parse(answer).error.code, what).toBe(code);
          }

          if (/^\/_mesh(\/|$)/.test(url.pathname)) {
            expect(res.status, what).toBeLessThan(500); // the mesh's own endpoints: a coded 4xx, checked above
            return;
          }
          const hops = hopsOf(headers);
          if (hops >= 5) {
            expect([res.status, code], what).toEqual([508, "ERR_LOOP"]);
            return;
          }
          expect(res.status, what).toBeLessThan(500);
          const host = headers.get("host") ?? url.host;
          if (code === "ERR_NO_ROUTE") {
            // Routed paths are refused only when strip_prefix would reach the origin's own /_mesh.
            const routed = host === "fuzz.example.com" && url.pathname.startsWith("/api/");
            expect(routed && !/^\/(_|%5f)mesh(\/|%2f|$)/i.test(url.pathname.slice(4)), what).toBe(false);
            return;
          }
          const token = headers.get("x-mesh-caller");
          const certCaller = cert?.certVerified === "SUCCESS" && cert.certSubjectDN === DN ? "billing" : null;
          const caller = (token === null ? undefined : valid.get(token)) ?? certCaller ?? "external";
          if (!allowed(caller, method, url.pathname)) {
            expect([res.status, code], what).toEqual([403, "ERR_FORBIDDEN_BY_POLICY"]);
            if (method !== "HEAD") expect(JSON.parse(answer).error.message, what).toContain(`caller '${caller}'`);
            return;
          }
          if (res.status === 429) {
            expect(code, what).toBe("ERR_RATE_LIMITED");
            expect(res.headers.get("retry-after"), what).toBe("60");
            return;
          }
          expect(res.status, what).toBe(200);
          if (method === "HEAD") return;
          const echo = JSON.parse(answer) as { url: string; method: string; headers: Record<string, string> };
          const got = new Map(Object.entries(echo.headers));
          expect(echo.method, what).toBe(method);
          expect(new URL(echo.url).pathname, what).toMatch(/^\/(a|b)\//);
          expect(new URL(echo.url).pathname.slice(2), what).toBe(url.pathname.slice(4) || "/");
          for (const name of got.keys()) {
            expect(NEVER_FORWARDED, what).not.toContain(name);
            expect(name.startsWith("x-envoy-"), `${name}: ${what}`).toBe(false);
            if (name.startsWith("x-mesh-")) expect(MESH_SET.has(name), `${name}: ${what}`).toBe(true);
          }
          expect(got.get("x-mesh-hops"), what).toBe(String(hops + 1));
          // The address Cloudflare saw, or nothing (an empty one names no address). As the origin reads it: an HTTP
          // parser drops a field value's trailing whitespace, which two cf-connecting-ip fields, one empty, leave
          // ("0.0.0.0" and "" combine to "0.0.0.0, ").
          expect(got.get("x-forwarded-for"), what).toBe(headers.get("cf-connecting-ip")?.trimEnd() || undefined);
          expect(got.get("x-forwarded-proto"), what).toBe("https");
          expect(got.get("x-forwarded-host"), what).toBe(host);
          const { payload } = await jwtVerify(got.get("x-mesh-identity")!, mesh.publicKey, {
            issuer: "flaremesh",
            audience: "fuzz",
          });
          expect(payload.sub, what).toBe(caller);
        },
      ),
      { numRuns: 2000 },
    );
    // Every branch of the oracle was taken: origin answers, refusals by policy and by rate, loops, routes.
    for (const status of [200, 403, 404, 429, 508])
      expect(seen.get(status) ?? 0, `${status} in ${[...seen]}`).toBeGreaterThan(0);
    expect(outbound).toEqual([]);
  });
});
