import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { originStatus } from "./harness/health";
import { waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";
import { redirectOrigin } from "./harness/probes";

// What an active check sends (SPEC §6): never from a cache, never following
// a redirect, with x-mesh-check-region — seen by a real origin behind the edge layer.

let mesh: Mesh;
let origin: Origin;
beforeAll(async () => {
  [mesh, origin] = await Promise.all([startMesh(), startOrigin({ name: "checked" })]);
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), origin?.stop()]);
});

async function checkedService(name: string, url: string, hc: Record<string, unknown> = {}): Promise<void> {
  const put = await mesh.admin("PUT", `/services/${name}`, {
    routes: [{ path_prefix: `/${name}` }],
    health_check: { path: "/healthz", interval_s: 1, healthy_threshold: 1, unhealthy_threshold: 1, ...hc },
  });
  expect(put.status).toBe(201);
  expect((await mesh.admin("PUT", `/services/${name}/origins/o`, { url })).status).toBe(201);
}

describe("active checks on the wire", () => {
  it("carry x-mesh-check-region: default, the check's user-agent, and ask no cache for the answer", async () => {
    await checkedService("region", mesh.expose(origin));
    const check = await waitFor(() => origin.requests.find((r) => r.health), {
      timeoutMs: 10_000,
      what: "a health check at the origin",
    });
    // `cache: "no-store"` as the fetch standard sends it: no cache on the way may answer for the origin.
    expect(check.headers["cache-control"]).toBe("no-cache");
    expect(check.headers.pragma).toBe("no-cache");
    expect(check.headers["x-mesh-check-region"]).toBe("default");
    expect(check.headers["user-agent"]).toBe("flaremesh-health-check");
    expect(check.headers.host).toBe(`checked.origin.test:${origin.port}`);
  });

  it("never follow a redirect: a 302 fails the check unless expected, and its target is never asked", async () => {
    const target = await startOrigin({ name: "redirect-target" });
    const redirect = await redirectOrigin(`${mesh.expose(target)}/healthz`);
    try {
      const url = mesh.expose({ name: "redirecting", port: redirect.port });
      await checkedService("redirects", url);
      await waitFor(async () => (await originStatus(mesh, "redirects", "o")) === "unhealthy", {
        timeoutMs: 10_000,
        what: "the 302 to fail the check",
      });
      const health = await mesh.admin("GET", "/services/redirects/health");
      expect(health.json.origins[0].health.last_error).toBe("status 302");
      await checkedService("redirects-ok", url, { expected_status: [302] });
      await waitFor(async () => (await originStatus(mesh, "redirects-ok", "o")) === "healthy", {
        timeoutMs: 10_000,
        what: "an expected 302 to pass",
      });
      expect(redirect.hits).toBeGreaterThanOrEqual(2);
      expect(target.requests).toHaveLength(0);
    } finally {
      await Promise.all([target.stop(), redirect.stop()]);
    }
  });
});
