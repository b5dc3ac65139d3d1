import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout, sleep, waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";

// Active checks and TTL leases on the real Worker, with no user traffic:
// the Registry's alarm loop checks real origin servers, reached by DNS names
// through the edge layer (a Durable Object's fetch() goes through it too).
// Measured times are printed, so a slow machine shows up in the log.

interface OriginHealth {
  id: string;
  health: { status: string; last_check: string | null; last_error: string | null };
}

interface HealthEvent {
  at: string;
  service: string;
  origin: string;
  from: string;
  to: string;
  reason: string;
}

/** The check settings of these tests: a round every second. */
const healthCheck = (thresholds: { healthy: number; unhealthy: number }) => ({
  path: "/healthz",
  interval_s: 1,
  timeout_ms: 500,
  healthy_threshold: thresholds.healthy,
  unhealthy_threshold: thresholds.unhealthy,
});

describe("health checks and leases, end to end", () => {
  let mesh: Mesh;
  let a: Origin;
  let b: Origin;
  let flappy: Origin;
  let leased: Origin;

  beforeAll(async () => {
    [mesh, a, b, flappy, leased] = await Promise.all([
      startMesh(),
      startOrigin({ name: "detect-a" }),
      startOrigin({ name: "detect-b" }),
      startOrigin({ name: "flappy" }),
      startOrigin({ name: "leased" }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([mesh?.stop(), a?.stop(), b?.stop(), flappy?.stop(), leased?.stop()]);
  });

  async function status(service: string, id: string): Promise<string | undefined> {
    const res = await mesh.admin("GET", `/services/${service}/health`);
    return (res.json?.origins as OriginHealth[] | undefined)?.find((o) => o.id === id)?.health.status;
  }

  async function events(service: string): Promise<HealthEvent[]> {
    const res = await mesh.admin("GET", `/events?service=${service}&limit=50`);
    expect(res.status).toBe(200);
    return res.json.events as HealthEvent[];
  }

  /** Waits until the origin has `wanted` status; returns the seconds it took. */
  async function timeUntil(service: string, id: string, wanted: string, timeoutMs: number): Promise<number> {
    const started = performance.now();
    await waitFor(async () => (await status(service, id)) === wanted, {
      timeoutMs,
      intervalMs: 100,
      what: `${service}/${id} to be ${wanted}`,
    });
    return (performance.now() - started) / 1000;
  }

  /** Which origin answered each of `n` proxied requests. */
  async function served(path: string, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await fetchWithTimeout(`${mesh.url}${path}`, { timeoutMs: 5_000 });
      await res.body?.cancel();
      ids.push(res.headers.get("x-mesh-origin") ?? `status ${res.status}`);
    }
    return ids;
  }

  it("marks an origin whose health endpoint fails unhealthy within interval × threshold, and healthy again after it recovers", async () => {
    expect(
      (
        await mesh.admin("PUT", "/services/detect", {
          routes: [{ path_prefix: "/detect" }],
          health_check: healthCheck({ healthy: 2, unhealthy: 2 }),
        })
      ).status,
    ).toBe(201);
    expect((await mesh.admin("PUT", "/services/detect/origins/a", { url: mesh.expose(a) })).status).toBe(201);
    expect((await mesh.admin("PUT", "/services/detect/origins/b", { url: mesh.expose(b) })).status).toBe(201);
    await timeUntil("detect", "a", "healthy", 8_000);
    await timeUntil("detect", "b", "healthy", 8_000);
    expect(a.count + b.count).toBe(0); // no user traffic at all

    b.set({ healthStatus: 503 });
    const detected = await timeUntil("detect", "b", "unhealthy", 10_000);
    console.log(
      `detection: unhealthy ${detected.toFixed(2)} s after the health endpoint started failing (interval 1 s × threshold 2)`,
    );
    expect(detected).toBeLessThan(1 * 2 * 1.1 + 2);
    expect(await status("detect", "a")).toBe("healthy");
    expect(await events("detect")).toContainEqual(
      expect.objectContaining({
        origin: "b",
        from: "healthy",
        to: "unhealthy",
        reason: "active: 2 consecutive failures: status 503",
      }),
    );
    const health = await mesh.admin("GET", "/services/detect/health");
    expect(health.json.counts).toMatchObject({ healthy: 1, unhealthy: 1 });
    const bHealth = (health.json.origins as OriginHealth[]).find((o) => o.id === "b")!.health;
    expect(bHealth.last_error).toBe("status 503");
    expect(bHealth.last_check).not.toBeNull();

    b.set({ healthStatus: 200 });
    const recovered = await timeUntil("detect", "b", "healthy", 10_000);
    console.log(
      `recovery: healthy ${recovered.toFixed(2)} s after the health endpoint recovered (interval 1 s × threshold 2)`,
    );
    expect(recovered).toBeLessThan(1 * 2 * 1.1 + 2);
    expect((await events("detect"))[0]).toMatchObject({
      origin: "b",
      from: "unhealthy",
      to: "healthy",
      reason: "active: 2 consecutive passes",
    });
    expect(a.count + b.count).toBe(0);
  });

  it("stops sending traffic to an origin that fails its checks, and resumes after it recovers", async () => {
    // Reuses the "detect" service of the test above: both origins healthy again. The registry has
    // them healthy; the data plane sees it on its next snapshot refresh, so wait for that rather
    // than assume it has happened.
    await waitFor(async () => new Set(await served("/detect/x", 10)).size === 2, {
      timeoutMs: 5_000,
      what: "traffic to reach both a and b",
    });

    b.set({ healthStatus: 503 });
    await timeUntil("detect", "b", "unhealthy", 10_000);
    // Likewise the data plane drops b on its next refresh (about a second at most): wait until a
    // run of requests all avoid it, then check that it stays so.
    await waitFor(async () => (await served("/detect/x", 4)).every((id) => id === "a"), {
      timeoutMs: 5_000,
      what: "traffic to leave b",
    });
    const bCount = b.count;
    expect(await served("/detect/x", 20)).toEqual(Array(20).fill("a"));
    expect(b.count).toBe(bCount);

    b.set({ healthStatus: 200 });
    await timeUntil("detect", "b", "healthy", 10_000);
    await waitFor(async () => (await served("/detect/x", 4)).includes("b"), {
      timeoutMs: 5_000,
      what: "traffic to reach b again",
    });
  });

  it("does not flap an origin that fails one health check in three (thresholds 3/2)", async () => {
    flappy.set({ flapEvery: 3 });
    await mesh.admin("PUT", "/services/flappy", {
      routes: [{ path_prefix: "/flappy" }],
      health_check: healthCheck({ healthy: 2, unhealthy: 3 }),
    });
    await mesh.admin("PUT", "/services/flappy/origins/f", { url: mesh.expose(flappy) });
    await timeUntil("flappy", "f", "healthy", 8_000);
    const checksBefore = flappy.healthCount;
    // Every third check the origin receives fails (the harness counts them).
    const failuresSince = () => Math.floor(flappy.healthCount / 3) - Math.floor(checksBefore / 3);
    const seen = new Set<string>();
    const started = Date.now();
    // At least 8 s and at least two failed checks; bounded at 15 s.
    while ((Date.now() - started < 8_000 || failuresSince() < 2) && Date.now() - started < 15_000) {
      seen.add((await status("flappy", "f")) ?? "missing");
      await sleep(200);
    }
    const checks = flappy.healthCount - checksBefore;
    console.log(
      `flapping: ${checks} checks (${failuresSince()} failed) in ${((Date.now() - started) / 1000).toFixed(1)} s, statuses seen: ${[...seen].join(", ")}`,
    );
    expect(failuresSince()).toBeGreaterThanOrEqual(2);
    expect([...seen]).toEqual(["healthy"]);
    expect((await events("flappy")).map((e) => `${e.from}->${e.to}`)).toEqual(["unknown->healthy"]);
  });

  it("keeps a heartbeating origin (ttl_s 2), marks it unhealthy when the heartbeats stop and deregisters it after 10 × ttl_s", async () => {
    await mesh.admin("PUT", "/services/leased", { routes: [{ path_prefix: "/leased" }], health_check: null });
    expect((await mesh.admin("PUT", "/services/leased/origins/l", { url: mesh.expose(leased), ttl_s: 2 })).status).toBe(
      201,
    );

    let lastBeat = 0;
    for (let i = 0; i < 8; i++) {
      const beat = await mesh.admin("PUT", "/services/leased/origins/l/heartbeat", undefined, "mesh:heartbeat");
      expect(beat.status).toBe(200);
      lastBeat = performance.now();
      await sleep(500);
      expect(await status("leased", "l")).toBe("unknown");
    }

    await waitFor(async () => (await status("leased", "l")) === "unhealthy", {
      timeoutMs: 6_000,
      what: "the lease to expire",
    });
    const expiredAfter = (performance.now() - lastBeat) / 1000;
    console.log(`ttl: unhealthy ${expiredAfter.toFixed(2)} s after the last heartbeat (ttl_s 2)`);
    expect(expiredAfter).toBeGreaterThanOrEqual(1.9); // the heartbeat's own round trip comes off
    expect(expiredAfter).toBeLessThan(4);
    expect((await events("leased"))[0]).toMatchObject({
      origin: "l",
      from: "unknown",
      to: "unhealthy",
      reason: "ttl: no heartbeat for 2s",
    });

    await waitFor(async () => (await mesh.admin("GET", "/catalog")).json.services.leased.origins.length === 0, {
      timeoutMs: 26_000,
      intervalMs: 250,
      what: "the origin to be deregistered",
    });
    const goneAfter = (performance.now() - lastBeat) / 1000;
    console.log(`ttl: deregistered ${goneAfter.toFixed(2)} s after the last heartbeat (10 × ttl_s = 20 s)`);
    expect(goneAfter).toBeGreaterThanOrEqual(19.9);
    expect(goneAfter).toBeLessThan(23);
    expect((await events("leased"))[0]).toMatchObject({
      origin: "l",
      from: "unhealthy",
      to: "deregistered",
      reason: expect.stringMatching(/^ttl: no heartbeat for 2\ds, deregistered$/),
    });
    expect((await mesh.admin("GET", "/services/leased/origins")).json.origins).toEqual([]);
  }, 60_000);
});
