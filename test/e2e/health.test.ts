import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout, sleep, waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { healthEvents, type OriginHealth, originStatus } from "./harness/health";
import { startOrigin, type Origin } from "./harness/origin";

// Active checks on the real Worker, with no user traffic (leases: lease.test.ts):
// the Registry's alarm loop checks real origin servers, reached by DNS names
// through the edge layer (a Durable Object's fetch() goes through it too).
// Measured times are printed, so a slow machine shows up in the log.

/** The check settings of these tests: a round every second. */
const healthCheck = (thresholds: { healthy: number; unhealthy: number }) => ({
  path: "/healthz",
  interval_s: 1,
  timeout_ms: 500,
  healthy_threshold: thresholds.healthy,
  unhealthy_threshold: thresholds.unhealthy,
});

describe("health checks, end to end", () => {
  let mesh: Mesh;
  let a: Origin;
  let b: Origin;
  let flappy: Origin;

  beforeAll(async () => {
    [mesh, a, b, flappy] = await Promise.all([
      startMesh(),
      startOrigin({ name: "detect-a" }),
      startOrigin({ name: "detect-b" }),
      startOrigin({ name: "flappy" }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([mesh?.stop(), a?.stop(), b?.stop(), flappy?.stop()]);
  });

  const status = (service: string, id: string) => originStatus(mesh, service, id);
  const events = (service: string) => healthEvents(mesh, service);

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
});
