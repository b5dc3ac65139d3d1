import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { healthEvents, originStatus } from "./harness/health";
import { fetchWithTimeout, waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";
import { registerService } from "./harness/services";

// Answers Cloudflare's edge makes itself instead of the origin (SPEC §6):
// here names the edge layer answers with 1003 (as for a name pointing at
// an address Cloudflare refuses) or 521 (connection refused). The mesh must
// count them as connect failures: retried elsewhere, ejected, failed checks.

let mesh: Mesh;
let good: Origin;
let refused: string;
let down: string;
beforeAll(async () => {
  [mesh, good] = await Promise.all([startMesh(), startOrigin({ name: "edge-good" })]);
  refused = mesh.edge.map("edge-1003.origin.test", good.port, { answer: "1003" });
  // As for a server that refuses connections (a closed port could be taken by another test's server meanwhile).
  down = mesh.edge.map("edge-521.origin.test", good.port, { answer: "521" });
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), good?.stop()]);
});

describe("edge errors are connect failures", () => {
  it("retries a request Cloudflare answered with 1003 or 521 on another origin", async () => {
    await registerService(mesh, "retry", [refused, down, mesh.expose(good)], {
      outlier_detection: null,
      retries: { attempts: 2 },
    });
    mesh.edge.clear();
    const attempts = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await fetchWithTimeout(`${mesh.url}/retry/x`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ origin: "edge-good", path: "/x" });
      expect(res.headers.get("x-mesh-origin")).toBe("retry-3");
      attempts.add(res.headers.get("x-mesh-attempts")!);
    }
    expect(attempts.size).toBeGreaterThan(1);
    const errors = new Set(mesh.edge.requests.map((r) => r.edgeError));
    expect(errors).toEqual(new Set(["1003", "521", null]));
  });

  it("ejects an origin after consecutive edge errors", async () => {
    await registerService(mesh, "eject", [refused, mesh.expose(good)], {
      load_balancer: { policy: "round_robin" },
      outlier_detection: { consecutive_failures: 2, base_ejection_s: 30, max_ejection_percent: 50 },
      retries: { attempts: 1 },
    });
    for (let i = 0; i < 6; i++) expect((await fetchWithTimeout(`${mesh.url}/eject/x`)).status).toBe(200);
    await waitFor(async () => (await originStatus(mesh, "eject", "eject-1")) === "ejected", {
      timeoutMs: 10_000,
      what: "the 1003 origin to be ejected",
    });
    expect(await originStatus(mesh, "eject", "eject-2")).not.toBe("ejected");
    expect(await healthEvents(mesh, "eject")).toContainEqual(
      expect.objectContaining({
        origin: "eject-1",
        to: "ejected",
        reason: expect.stringMatching(/^outlier: 2 consecutive/),
      }),
    );
    // Ejected: new requests go straight to the good origin.
    mesh.edge.clear();
    const res = await fetchWithTimeout(`${mesh.url}/eject/x`);
    expect(res.headers.get("x-mesh-attempts")).toBe("1");
    expect(mesh.edge.requests.map((r) => r.edgeError)).toEqual([null]);
  });

  it("answers 502 ERR_UPSTREAM naming the edge error when every try got one", async () => {
    await registerService(mesh, "hopeless", [refused], { outlier_detection: null, retries: { attempts: 0 } });
    const res = await fetchWithTimeout(`${mesh.url}/hopeless/x`);
    expect(res.status).toBe(502);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("ERR_UPSTREAM");
    expect(body.error.message).toBe(
      "all 1 attempt(s) failed: Cloudflare answered error 1003 (direct IP access not allowed) instead of the origin",
    );
  });

  it("fails active checks on an edge error, even when its status is an expected one", async () => {
    const put = await mesh.admin("PUT", "/services/checked", {
      routes: [{ path_prefix: "/checked" }],
      health_check: { path: "/healthz", interval_s: 1, expected_status: [200, 403], unhealthy_threshold: 1 },
    });
    expect(put.status).toBe(201);
    expect((await mesh.admin("PUT", "/services/checked/origins/c", { url: refused })).status).toBe(201);
    await waitFor(async () => (await originStatus(mesh, "checked", "c")) === "unhealthy", {
      timeoutMs: 10_000,
      what: "the check to fail",
    });
    const health = await mesh.admin("GET", "/services/checked/health");
    expect(health.json.origins[0].health.last_error).toBe(
      "connect failed: Cloudflare answered error 1003 (direct IP access not allowed) instead of the origin",
    );
    expect(good.healthCount).toBe(0);
  });

  it("fails active checks on an origin whose socket refuses or drops the connection (521, 520)", async () => {
    const [gone, dropping] = await Promise.all([
      startOrigin({ name: "edge-gone" }),
      startOrigin({ name: "edge-drop" }),
    ]);
    try {
      const urls = [mesh.expose(gone), mesh.expose(dropping)];
      // Real sockets, unlike the names above that the edge answers itself: nothing listens, or it closes unanswered.
      await gone.stop();
      dropping.set({ dropConnections: true });
      const put = await mesh.admin("PUT", "/services/sockets", {
        routes: [{ path_prefix: "/sockets" }],
        health_check: { path: "/healthz", interval_s: 1, unhealthy_threshold: 1 },
      });
      expect(put.status).toBe(201);
      for (const [i, url] of urls.entries())
        expect((await mesh.admin("PUT", `/services/sockets/origins/s${i}`, { url })).status).toBe(201);
      const errors = await waitFor(
        async () => {
          const health = await mesh.admin("GET", "/services/sockets/health");
          const origins = health.json.origins as { id: string; health: { status: string; last_error: string } }[];
          return origins.every((o) => o.health.status === "unhealthy") ? origins.map((o) => o.health.last_error) : null;
        },
        { timeoutMs: 10_000, what: "both checks to fail" },
      );
      expect(errors).toEqual([
        "connect failed: Cloudflare answered error 521 (the origin refused the connection) instead of the origin",
        "connect failed: Cloudflare answered error 520 (unknown error from the origin) instead of the origin",
      ]);
    } finally {
      await Promise.all([gone.stop(), dropping.stop()]);
    }
  });
});
