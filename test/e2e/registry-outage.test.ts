import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout, waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";

// Routing through a registry outage (SPEC §8): isolates keep the last table
// they got from the registry in the colo's Cache API; a cold isolate whose
// registry does not answer within a second routes from that copy and says
// so with `x-mesh-stale`. The outage is real: the Worker restarts (every
// isolate cold) with its REGISTRY binding on a test-only object that never
// answers, or fails every call (test/e2e/harness/mesh.ts, `setRegistry`).

let mesh: Mesh;
const origins: Origin[] = [];

beforeAll(async () => {
  mesh = await startMesh();
  for (const name of ["shop-a", "shop-b"]) origins.push(await startOrigin({ name }));
  const put = await mesh.admin("PUT", "/services/shop", { routes: [{ path_prefix: "/shop" }], health_check: null });
  expect(put.status, JSON.stringify(put.json)).toBe(201);
  for (const o of origins) {
    const res = await mesh.admin("PUT", `/services/shop/origins/${o.name}`, { url: mesh.expose(o) });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
  }
});

afterAll(async () => {
  await mesh?.stop();
  await Promise.all(origins.map((o) => o.stop()));
});

const get = (path: string) => fetchWithTimeout(`${mesh.url}${path}`, { timeoutMs: 10_000 });

/** The colo cache's copy of the routing table, as the Worker keyed it (src/proxy/table-cache.ts). */
async function cachedTable(): Promise<{ version: number; origins: unknown[] } | null> {
  const ns = await mesh.miniflare.getDurableObjectNamespace("REGISTRY");
  const key = `https://routing-table.flaremesh.invalid/v1/${ns.idFromName("global").toString()}`;
  const caches = await mesh.miniflare.getCaches();
  const res = await caches.default.match(key);
  return res ? ((await res.json()) as { version: number; origins: unknown[] }) : null;
}

describe("registry outage", () => {
  it("a warm isolate writes its table to the colo's cache", async () => {
    const res = await get("/shop/warm");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-mesh-stale")).toBeNull();
    await res.text();
    // Written at most every 10 s: the copy with both origins comes at most that long after the last write.
    const cached = await waitFor(async () => ((await cachedTable())?.origins.length === 2 ? cachedTable() : null), {
      timeoutMs: 15_000,
    });
    expect(cached.version).toBeGreaterThan(0);
  });

  it("cold isolates route known services from the cached table within about a second when the registry hangs", async () => {
    await mesh.setRegistry("hang");
    const started = performance.now();
    const first = await get("/shop/first");
    const firstMs = performance.now() - started;
    expect(first.status, await first.text()).toBe(200);
    expect(Number(first.headers.get("x-mesh-stale"))).toBeGreaterThanOrEqual(0);
    // The cold wait is 1 s; well under the 10 s client timeout.
    expect(firstMs).toBeGreaterThanOrEqual(900);
    expect(firstMs).toBeLessThan(5_000);

    const statuses: number[] = [];
    const seen = new Set<string>();
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.all(Array.from({ length: 10 }, (_, i) => get(`/shop/r${round}-${i}`)));
      for (const res of batch) {
        statuses.push(res.status);
        expect(res.headers.get("x-mesh-stale")).toMatch(/^\d+$/);
        seen.add(res.headers.get("x-mesh-origin") ?? "");
        await res.text();
      }
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect([...seen].sort()).toEqual(["shop-a", "shop-b"]);
  });

  it("an unknown path is still the mesh's own 404, marked stale", async () => {
    const res = await get("/nowhere");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("ERR_NO_ROUTE");
    expect(res.headers.get("x-mesh-stale")).toMatch(/^\d+$/);
  });

  it("cold isolates route from the cached table at once when every registry call fails", async () => {
    await mesh.setRegistry("fail");
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => get(`/shop/fail-${i}`)));
    expect(performance.now() - started).toBeLessThan(3_000);
    for (const res of results) {
      expect(res.status).toBe(200);
      expect(res.headers.get("x-mesh-stale")).toMatch(/^\d+$/);
      await res.text();
    }
  });

  it("routes from the registry again, unmarked, once it is back", async () => {
    await mesh.setRegistry("real");
    const res = await waitFor(
      async () => {
        const r = await get("/shop/back");
        await r.text();
        return r.status === 200 && r.headers.get("x-mesh-stale") === null ? r : null;
      },
      { timeoutMs: 10_000 },
    );
    expect(res.headers.get("x-mesh-origin")).toMatch(/^shop-[ab]$/);
  });
});
