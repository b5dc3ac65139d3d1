import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { healthEvents, originStatus } from "./harness/health";
import { fetchWithTimeout, sleep, waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";

// TTL leases on the real Worker: an origin that heartbeats stays, one that
// stops is marked unhealthy after ttl_s and deregistered after 10 × ttl_s,
// driven by the Registry's own alarms. Measured times are printed, so a slow
// machine shows up in the log. (A file of its own: its 20 s wait runs beside
// the other files.)

describe("leases, end to end", () => {
  let mesh: Mesh;
  let leased: Origin;

  beforeAll(async () => {
    [mesh, leased] = await Promise.all([startMesh(), startOrigin({ name: "leased" })]);
  });
  afterAll(async () => {
    await Promise.all([mesh?.stop(), leased?.stop()]);
  });

  const status = (service: string, id: string) => originStatus(mesh, service, id);
  const events = (service: string) => healthEvents(mesh, service);

  it("keeps a heartbeating origin (ttl_s 2), marks it unhealthy when the heartbeats stop and deregisters it after 10 × ttl_s", async () => {
    await mesh.admin("PUT", "/services/leased", { routes: [{ path_prefix: "/leased" }], health_check: null });
    expect((await mesh.admin("PUT", "/services/leased/origins/l", { url: mesh.expose(leased), ttl_s: 2 })).status).toBe(
      201,
    );

    const auth = { authorization: `Bearer ${await mesh.token("mesh:heartbeat", { svc: "leased" })}` };
    let lastBeat = 0;
    for (let i = 0; i < 8; i++) {
      const beat = await fetchWithTimeout(`${mesh.url}/_mesh/api/v1/services/leased/origins/l/heartbeat`, {
        method: "PUT",
        headers: auth,
      });
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
