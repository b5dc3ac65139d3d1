import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout, waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";

// Pools and steering end to end (SPEC §7): the real Worker under Miniflare, real origins reached by DNS
// names through the edge layer. Locally there is no request.cf, so MESH_DEV_REQUEST_CF=true lets each
// request say where it comes from with x-mesh-dev-cf, as the README's worked example does.

let mesh: Mesh;
const origins: Origin[] = [];

const POOLS = {
  eu: { priority: 1, countries: ["DE", "FR"], continents: ["EU"], latitude: 50.1, longitude: 8.7 },
  us: { priority: 2, countries: ["US"], continents: ["NA", "SA"], latitude: 39.0, longitude: -77.5 },
};
const DE = { country: "DE", continent: "EU" };
const US = { country: "US", continent: "NA" };
const JP = { country: "JP", continent: "AS" };
const PARIS = { latitude: 48.8566, longitude: 2.3522 };
const LOS_ANGELES = { latitude: 34.0522, longitude: -118.2437 };

/** Registers a service at `/<name>` (prefix stripped, no active checks) with origins `<name>-eu-1` … by zone. */
async function service(name: string, extra: Record<string, unknown>, zones: string[]): Promise<Origin[]> {
  const put = await mesh.admin("PUT", `/services/${name}`, {
    routes: [{ path_prefix: `/${name}` }],
    strip_prefix: true,
    health_check: null,
    pools: POOLS,
    ...extra,
  });
  expect(put.status, JSON.stringify(put.json)).toBe(201);
  const made: Origin[] = [];
  for (const [i, zone] of zones.entries()) {
    const o = await startOrigin({ name: `${name}-${zone}-${i + 1}` });
    origins.push(o);
    made.push(o);
    const res = await mesh.admin("PUT", `/services/${name}/origins/${o.name}`, { url: mesh.expose(o), zone });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
  }
  return made;
}

interface Steered {
  status: number;
  origin: string | null;
  pool: string | null;
  /** The `steer` entry's description, decoded as the UTF-8 it is sent in (fetch reads header bytes as Latin-1). */
  steer: string | null;
  timing: string;
  body: string;
}

/** A GET from wherever `cf` says (x-mesh-dev-cf). */
async function from(path: string, cf: Record<string, unknown>): Promise<Steered> {
  const res = await fetchWithTimeout(`${mesh.url}${path}`, {
    headers: { "x-mesh-dev-cf": JSON.stringify(cf) },
    timeoutMs: 20_000,
  });
  const timing = Buffer.from(res.headers.get("server-timing") ?? "", "latin1").toString("utf8");
  return {
    status: res.status,
    origin: res.headers.get("x-mesh-origin"),
    pool: res.headers.get("x-mesh-pool"),
    steer: /steer;desc="([^"]*)"/.exec(timing)?.[1] ?? null,
    timing,
    body: await res.text(),
  };
}

beforeAll(async () => {
  mesh = await startMesh({ vars: { MESH_DEV_REQUEST_CF: "true" } });
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), ...origins.map((o) => o.stop())]);
});

describe("geo steering with failover", () => {
  let eu: Origin[];
  let us: Origin[];
  beforeAll(async () => {
    const all = await service("geo", { steering: { policy: "geo", fallback_pool: null } }, ["eu", "eu", "us", "us"]);
    eu = all.slice(0, 2);
    us = all.slice(2);
  });

  it("sends Germany to eu and the United States to us, and says so on every response", async () => {
    for (let i = 0; i < 6; i++) {
      const de = await from("/geo/x", DE);
      expect(de.status).toBe(200);
      expect(de.pool).toBe("eu");
      expect(de.steer).toBe("geo DE→eu");
      expect(eu.map((o) => o.name)).toContain(de.origin);
      expect(de.timing).toMatch(/^mesh;dur=[\d.]+, upstream;dur=[\d.]+, steer;desc="geo DE→eu"$/);
      const usa = await from("/geo/x", US);
      expect(usa.pool).toBe("us");
      expect(usa.steer).toBe("geo US→us");
      expect(us.map((o) => o.name)).toContain(usa.origin);
    }
    // Inside the pool the service's round robin still spreads the load.
    expect(eu.map((o) => o.count)).toEqual([3, 3]);
    expect(us.map((o) => o.count)).toEqual([3, 3]);
  });

  it("sends a country no pool lists in failover order, and one from a listed continent to its pool", async () => {
    expect(await from("/geo/x", JP)).toMatchObject({ pool: "eu", steer: "geo JP→failover eu" });
    expect(await from("/geo/x", { country: "BR", continent: "SA" })).toMatchObject({ pool: "us", steer: "geo SA→us" });
  });

  it("sends Germany to us while eu's origins are disabled, and back to eu when they return", async () => {
    for (const o of eu)
      expect((await mesh.admin("PATCH", `/services/geo/origins/${o.name}`, { enabled: false })).status).toBe(200);
    const moved = await waitFor(
      async () => {
        const r = await from("/geo/x", DE);
        return r.pool === "us" ? r : null;
      },
      { what: "DE steered to us" },
    );
    expect(moved.steer).toBe("geo DE→eu down→us");
    expect(us.map((o) => o.name)).toContain(moved.origin);
    // eu's recovery brings its traffic back (failback): decided per request from the routing table.
    for (const o of eu)
      expect((await mesh.admin("PATCH", `/services/geo/origins/${o.name}`, { enabled: true })).status).toBe(200);
    const back = await waitFor(
      async () => {
        const r = await from("/geo/x", DE);
        return r.pool === "eu" ? r : null;
      },
      { what: "DE back on eu" },
    );
    expect(back.steer).toBe("geo DE→eu");
  });

  it("records the pool in the request log and as a metrics label", async () => {
    const marker = `pool-log-${Date.now()}`;
    const res = await fetchWithTimeout(`${mesh.url}/geo/logged`, {
      headers: { "x-mesh-dev-cf": JSON.stringify(US), "x-request-id": marker },
    });
    expect(res.status).toBe(200);
    await res.text();
    const entry = await waitFor(
      async () => {
        const logs = await mesh.admin("GET", "/logs?limit=50");
        return (logs.json.logs as { request_id: string }[]).find((e) => e.request_id === marker);
      },
      { what: "the log entry" },
    );
    expect(entry).toMatchObject({ service: "geo", pool: "us", country: "US" });
    const metrics = await fetchWithTimeout(`${mesh.url}/_mesh/metrics`, {
      headers: { authorization: `Bearer ${await mesh.token("mesh:read")}` },
    });
    const text = await metrics.text();
    expect(text).toMatch(
      new RegExp(`mesh_requests_total\\{service="geo",origin="${us[0]!.name}",pool="us",code="2xx"\\} \\d+`),
    );
  });

  it("never forwards x-mesh-dev-cf to an origin, and refuses a malformed one with 400", async () => {
    const echo = JSON.parse((await from("/geo/echo", US)).body) as { headers: Record<string, string> };
    expect(echo.headers["x-mesh-dev-cf"]).toBeUndefined();
    const bad = await fetchWithTimeout(`${mesh.url}/geo/x`, { headers: { "x-mesh-dev-cf": "{country: DE}" } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("ERR_VALIDATION");
  });
});

describe("proximity steering", () => {
  beforeAll(async () => {
    await service("near", { steering: { policy: "proximity" } }, ["eu", "us"]);
  });

  it("sends Paris to eu and Los Angeles to us, with the distance", async () => {
    const paris = await from("/near/x", PARIS);
    expect(paris).toMatchObject({ status: 200, pool: "eu", origin: "near-eu-1", steer: "proximity 479km→eu" });
    const la = await from("/near/x", LOS_ANGELES);
    expect(la).toMatchObject({ status: 200, pool: "us", origin: "near-us-2", steer: "proximity 3651km→us" });
  });

  it("sends Paris across the ocean while eu has no eligible origin", async () => {
    expect((await mesh.admin("PATCH", "/services/near/origins/near-eu-1", { drain: true })).status).toBe(200);
    const far = await waitFor(
      async () => {
        const r = await from("/near/x", PARIS);
        return r.pool === "us" ? r : null;
      },
      { what: "Paris steered to us" },
    );
    expect(far).toMatchObject({ status: 200, origin: "near-us-2", steer: "proximity 6190km→us" });
  });
});

describe("last resorts", () => {
  const pools = { eu: { ...POOLS.eu, minimum_origins: 2 }, us: { ...POOLS.us, minimum_origins: 2 } };

  it("takes the fallback pool when no pool has its minimum_origins, then panics over every origin", async () => {
    await service("lone", { pools, steering: { policy: "failover", fallback_pool: "us" } }, ["eu", "us"]);
    expect(await from("/lone/x", DE)).toMatchObject({
      status: 200,
      pool: "us",
      origin: "lone-us-2",
      steer: "failover eu down→fallback us",
    });
    const put = await mesh.admin("PUT", "/services/lone", {
      routes: [{ path_prefix: "/lone" }],
      strip_prefix: true,
      health_check: null,
      pools,
      steering: { policy: "failover", fallback_pool: null },
    });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await from("/lone/x", DE);
      expect(r).toMatchObject({ status: 200, pool: "*", steer: "failover eu down→panic" });
      seen.add(r.origin!);
    }
    expect([...seen].sort()).toEqual(["lone-eu-1", "lone-us-2"]);
  });
});
