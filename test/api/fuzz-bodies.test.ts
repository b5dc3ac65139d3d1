import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ERROR_CODES } from "../../src/errors";
import { type DirectMesh, directMesh, refuseOutboundFetch } from "../helpers/direct";
import { POLLUTING_KEYS, type RawBody, anyBody, hostileString, nearValid } from "../helpers/fuzz-json";

// Property tests over the admin API's bodies: whatever is sent, the answer is
// below 500, an error is the mesh's JSON error with a stable code, reads
// still work after every accepted write, nothing pollutes a prototype, and
// nothing is fetched (no origin is ever health-checked or looked up: every
// URL that can be accepted is a service binding or is never checked).
// Random seed on every run; fast-check prints it with the counterexample.

const ORIGIN = "service://ECHO_WORKER/fuzz";
const SERVICE = { routes: [{ host: "fz.example.com", path_prefix: "/v" }], health_check: null };
const FULL_SERVICE = {
  routes: [{ host: "*.fz.example.com", path_prefix: "/" }, { path_prefix: "/fz-api" }],
  strip_prefix: true,
  load_balancer: { policy: "hash", hash_on: "header:x-user" },
  health_check: null,
  retries: { attempts: 1, per_try_timeout_ms: 1000, retry_on: ["5xx"], budget_ratio: 0.5 },
  timeout_ms: 3000,
  outlier_detection: { consecutive_failures: 3, base_ejection_s: 10, max_ejection_percent: 30 },
  panic_threshold_percent: 20,
  slow_start_s: 5,
  fallback_service: "fz",
  rate_limit: { key: "header:x-tenant", limit: 100, period_s: 60 },
  pools: { eu: { priority: 1, countries: ["DE"], continents: ["EU"], latitude: 50, longitude: 8 } },
  steering: { policy: "failover", fallback_pool: "eu" },
};
const ORIGIN_BODY = {
  url: ORIGIN,
  weight: 5,
  zone: "eu",
  tags: ["a"],
  metadata: { k: "v" },
  enabled: true,
  drain: false,
  ttl_s: null,
};
const PATCH_BODY = { weight: 3, enabled: true, drain: true, tags: ["b"], metadata: { k: "w" }, zone: null };
const INTENTION = {
  action: "allow",
  permissions: [{ action: "deny", path_prefix: "/admin", methods: ["POST", "DELETE"] }],
  description: "billing reads users",
};
const SINK = {
  type: "http",
  // Sinks ship only from the cron, which no test here runs (and outbound fetches are refused).
  url: "https://logs.example.com/loki/api/v1/push",
  headers: { authorization: "Bearer s3cret" },
  format: "loki",
  batch_max: 100,
};

/** A name for a path segment: mostly valid ones (so writes land), else anything. */
const segment = (...valid: string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...valid) },
    { weight: 1, arbitrary: fc.constantFrom(...POLLUTING_KEYS, "Bad", "-x", "a".repeat(64), "..", "%2e%2e", "%00") },
    { weight: 1, arbitrary: hostileString.map(encodeURIComponent) },
  );

interface Target {
  label: string;
  method: string;
  path: fc.Arbitrary<string>;
  body: fc.Arbitrary<RawBody>;
  /** What to read after an accepted write: it must still answer 200. */
  read: string;
  runs: number;
}

const services = segment("fz", "fz-b", "fz-c");
const origins = segment("o1", "o2");
const sources = segment("billing", "*", "external", "users");
const TARGETS: Target[] = [
  {
    label: "PUT /services/{name}",
    method: "PUT",
    path: services.map((s) => `/services/${s}`),
    body: fc.oneof(nearValid(SERVICE), nearValid(FULL_SERVICE)),
    read: "/services",
    runs: 700,
  },
  {
    label: "POST /services/{name}/origins",
    method: "POST",
    path: services.map((s) => `/services/${s}/origins`),
    body: nearValid(ORIGIN_BODY),
    read: "/services/fz",
    runs: 300,
  },
  {
    label: "PUT /services/{name}/origins/{id}",
    method: "PUT",
    path: fc.tuple(services, origins).map(([s, o]) => `/services/${s}/origins/${o}`),
    body: nearValid(ORIGIN_BODY),
    read: "/services/fz",
    runs: 300,
  },
  {
    label: "PATCH /services/{name}/origins/{id}",
    method: "PATCH",
    path: fc.tuple(services, origins).map(([s, o]) => `/services/${s}/origins/${o}`),
    body: nearValid(PATCH_BODY),
    read: "/services/fz",
    runs: 300,
  },
  {
    label: "PUT /intentions/{source}/{destination}",
    method: "PUT",
    path: fc.tuple(sources, segment("fz", "*")).map(([s, d]) => `/intentions/${s}/${d}`),
    body: nearValid(INTENTION),
    read: "/intentions",
    runs: 400,
  },
  {
    label: "PUT /identities/{name}",
    method: "PUT",
    path: segment("billing", "orders").map((s) => `/identities/${s}`),
    body: nearValid({ cert_subject_dn: "CN=billing,O=Example Corp" }),
    read: "/identities",
    runs: 300,
  },
  {
    label: "POST /service-tokens",
    method: "POST",
    path: fc.constant("/service-tokens"),
    body: nearValid({ service: "billing", ttl_s: 3600 }),
    read: "/services",
    runs: 300,
  },
  {
    label: "PUT /log-sinks/{name}",
    method: "PUT",
    path: segment("loki", "es").map((s) => `/log-sinks/${s}`),
    body: nearValid(SINK),
    read: "/log-sinks",
    runs: 400,
  },
];

const CODES: readonly string[] = ERROR_CODES;
const ORIGIN_TROUBLE = ["ERR_UPSTREAM", "ERR_NO_HEALTHY_ORIGIN", "ERR_UPSTREAM_TIMEOUT"];

/** The answer is below 500; an error is `{ error: { code, message, request_id } }` with a stable code. */
async function expectWellFormed(res: Response, what: string): Promise<void> {
  const text = await res.text();
  expect(res.status, `${what} → ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status === 204) return;
  const body = JSON.parse(text);
  if (res.status < 400) return;
  expect(CODES, `${what} → ${text.slice(0, 300)}`).toContain(body.error?.code);
  expect(res.headers.get("x-mesh-error")).toBe(body.error.code);
  expect(typeof body.error.message).toBe("string");
  expect(typeof body.error.request_id).toBe("string");
}

const prototypes = [Object.prototype, Array.prototype, Function.prototype];
const ownNames = () => prototypes.map((p) => Object.getOwnPropertyNames(p).sort().join(","));

describe("admin API bodies (property tests)", () => {
  let mesh: DirectMesh;
  let outbound: string[];
  beforeEach(async () => {
    outbound = refuseOutboundFetch();
    mesh = await directMesh();
    // What the origin, intention and token targets write against.
    for (const name of ["fz", "fz-b"]) {
      const res = await mesh.admin("PUT", `/services/${name}`, { ...SERVICE, routes: [{ path_prefix: `/${name}` }] });
      expect([200, 201]).toContain(res.status);
    }
    expect([200, 201]).toContain((await mesh.admin("PUT", "/services/fz/origins/o1", { url: ORIGIN })).status);
  });
  afterEach(() => vi.restoreAllMocks());

  it("accepts the unmutated bodies the generators start from", async () => {
    const writes: [string, string, unknown][] = [
      ["PUT", "/services/fz-c", FULL_SERVICE],
      ["POST", "/services/fz/origins", ORIGIN_BODY],
      ["PATCH", "/services/fz/origins/o1", PATCH_BODY],
      ["PUT", "/intentions/billing/fz", INTENTION],
      ["PUT", "/identities/billing", { cert_subject_dn: "CN=billing,O=Example Corp" }],
      ["POST", "/service-tokens", { service: "billing", ttl_s: 3600 }],
      ["PUT", "/log-sinks/loki", SINK],
    ];
    for (const [method, path, body] of writes) {
      const res = await mesh.admin(method, path, body);
      expect([200, 201], `${method} ${path}: ${await res.text()}`).toContain(res.status);
    }
  });

  it.each(TARGETS)("$label: every body gets a 2xx or a coded 4xx, never a 5xx", async (target) => {
    const before = ownNames();
    await fc.assert(
      fc.asyncProperty(target.path, target.body, async (path, body) => {
        const res = await mesh.admin(target.method, path, undefined, body.raw, body.contentType);
        const ok = res.status < 300;
        await expectWellFormed(res, `${target.method} ${path} ${body.raw.slice(0, 200)}`);
        if (ok) await expectWellFormed(await mesh.admin("GET", target.read), `GET ${target.read} after it`);
        expect(ownNames()).toEqual(before);
      }),
      { numRuns: target.runs },
    );
    // The routing snapshot still builds, and the data plane still answers.
    await expectWellFormed(await mesh.admin("GET", "/catalog"), "GET /catalog");
    // Origin trouble (the fuzz may have drained or disabled every origin) is the only 5xx it may give.
    const proxied = await mesh.fetch(new Request("https://fz.example.com/v/x"));
    if (proxied.status >= 500) expect(ORIGIN_TROUBLE).toContain(proxied.headers.get("x-mesh-error"));
    expect(outbound).toEqual([]);
  });

  it("any document to any write endpoint gets a coded 4xx or a 2xx", async () => {
    const endpoints = fc.constantFrom(...TARGETS.map((t) => t));
    await fc.assert(
      fc.asyncProperty(
        endpoints.chain((t) => fc.tuple(fc.constant(t), t.path)),
        anyBody,
        async ([target, path], body) => {
          const res = await mesh.admin(target.method, path, undefined, body.raw, body.contentType);
          await expectWellFormed(res, `${target.method} ${path} ${body.raw.slice(0, 200)}`);
        },
      ),
      { numRuns: 400 },
    );
    expect(outbound).toEqual([]);
  });
});
