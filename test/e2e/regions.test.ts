import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { healthEvents, originStatus } from "./harness/health";
import { sleep, waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";

// Regional health checks over HTTP (SPEC §7): one checker Durable Object per
// region of `health_check.regions`, each checking the real origin behind the
// edge layer on its own alarm. Locally the location hints do nothing, so the
// regions are made to disagree by what the origin answers to each
// `x-mesh-check-region`.

const REGIONS = ["wnam", "weur", "apac"];

let mesh: Mesh;
let origin: Origin;
beforeAll(async () => {
  [mesh, origin] = await Promise.all([startMesh(), startOrigin({ name: "geo-a" })]);
  const put = await mesh.admin("PUT", "/services/geo", {
    routes: [{ path_prefix: "/geo" }],
    health_check: {
      path: "/healthz",
      interval_s: 1,
      timeout_ms: 500,
      healthy_threshold: 1,
      unhealthy_threshold: 2,
      regions: REGIONS,
    },
  });
  expect(put.status).toBe(201);
  expect(put.json.health_check.regions).toEqual(REGIONS);
  expect((await mesh.admin("PUT", "/services/geo/origins/a", { url: mesh.expose(origin) })).status).toBe(201);
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), origin?.stop()]);
});

interface RegionView {
  status: string;
  last_check: string | null;
  latency_ms: number | null;
  last_error: string | null;
}

/** The origin's `health` in `GET /services/geo/health`. */
async function health(): Promise<{ status: string; regions: Record<string, RegionView> }> {
  const res = await mesh.admin("GET", "/services/geo/health");
  expect(res.status).toBe(200);
  return res.json.origins[0].health;
}

/** Regions of the health checks the origin received since `since` (epoch ms). */
const regionsChecking = (since: number) =>
  origin.requests.filter((r) => r.health && r.at >= since).map((r) => String(r.headers["x-mesh-check-region"]));

/** Waits until each of `regions` has checked the origin `n` times since `since`. */
async function checksFrom(regions: string[], since: number, n: number): Promise<void> {
  await waitFor(() => regions.every((r) => regionsChecking(since).filter((x) => x === r).length >= n), {
    timeoutMs: 15_000,
    what: `${n} checks from each of ${regions.join(", ")}`,
  });
}

describe("regional health checks, end to end", () => {
  it("checks from every region, each saying which, and shows the per-region view", async () => {
    await checksFrom(REGIONS, 0, 2);
    expect(new Set(regionsChecking(0))).toEqual(new Set(REGIONS)); // never "default"
    await waitFor(async () => (await originStatus(mesh, "geo", "a")) === "healthy", {
      timeoutMs: 10_000,
      what: "the origin to turn healthy",
    });
    const h = await health();
    expect(Object.keys(h.regions)).toEqual(REGIONS);
    for (const r of REGIONS) {
      expect(h.regions[r]).toMatchObject({ status: "healthy", last_error: null });
      expect(h.regions[r]!.last_check).toEqual(expect.any(String));
      expect(h.regions[r]!.latency_ms).toEqual(expect.any(Number));
    }
  });

  it("one region of three failing keeps the origin healthy", async () => {
    origin.set({ healthStatusByRegion: { weur: 500 } });
    await waitFor(async () => (await health()).regions.weur?.status === "unhealthy", {
      timeoutMs: 10_000,
      what: "weur to see the origin unhealthy",
    });
    // It stays healthy through several more rounds from every region.
    const since = Date.now();
    const seen = new Set<string>();
    while (!REGIONS.every((r) => regionsChecking(since).filter((x) => x === r).length >= 3)) {
      seen.add((await health()).status);
      if (Date.now() - since > 15_000) throw new Error("too few checks in 15 s");
      await sleep(200);
    }
    expect([...seen]).toEqual(["healthy"]);
    const h = await health();
    expect(h.regions).toMatchObject({
      wnam: { status: "healthy" },
      weur: { status: "unhealthy", last_error: "status 500" },
      apac: { status: "healthy" },
    });
    expect((await healthEvents(mesh, "geo")).filter((e) => e.to === "unhealthy")).toEqual([]);
  });

  it("two regions failing make it unhealthy, and the event names them", async () => {
    origin.set({ healthStatusByRegion: { weur: 500, apac: 500 } });
    await waitFor(async () => (await originStatus(mesh, "geo", "a")) === "unhealthy", {
      timeoutMs: 10_000,
      what: "the vote to turn the origin unhealthy",
    });
    expect((await healthEvents(mesh, "geo"))[0]).toMatchObject({
      origin: "a",
      from: "healthy",
      to: "unhealthy",
      reason: "active: unhealthy in weur, apac of 3: status 500",
    });
    expect((await health()).regions.wnam!.status).toBe("healthy");
  });

  it("recovers when a majority of regions passes again", async () => {
    origin.set({ healthStatusByRegion: {} });
    await waitFor(async () => (await originStatus(mesh, "geo", "a")) === "healthy", {
      timeoutMs: 10_000,
      what: "the origin to recover",
    });
    const event = (await healthEvents(mesh, "geo"))[0]!;
    expect(event).toMatchObject({ from: "unhealthy", to: "healthy" });
    expect(event.reason).toMatch(/^active: healthy in [23] of 3 regions \((wnam|weur|apac)(, (wnam|weur|apac))+\)$/);
  });

  it("a region taken off the service stops checking, and its view goes", async () => {
    const put = await mesh.admin("PUT", "/services/geo", {
      routes: [{ path_prefix: "/geo" }],
      health_check: { path: "/healthz", interval_s: 1, timeout_ms: 500, regions: ["wnam", "apac"] },
    });
    expect(put.status).toBe(200);
    // A check already under way when the change landed may still arrive (it takes at most timeout_ms).
    const after = Date.now() + 600;
    await checksFrom(["wnam", "apac"], after, 2);
    expect(regionsChecking(after)).not.toContain("weur");
    expect(Object.keys((await health()).regions)).toEqual(["wnam", "apac"]);
  });
});
