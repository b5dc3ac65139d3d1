import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";
import { registerService } from "./harness/services";

// What origin URLs the mesh accepts, as Cloudflare's edge would serve them
// (SPEC §6): no IP literals in production (error 1003), and a warning for a
// port the edge does not proxy — which the edge layer shows to be real.

let mesh: Mesh;
let origin: Origin;
beforeAll(async () => {
  [mesh, origin] = await Promise.all([startMesh(), startOrigin({ name: "urls" })]);
  const put = await mesh.admin("PUT", "/services/urls", { routes: [{ path_prefix: "/urls" }], health_check: null });
  expect(put.status).toBe(201);
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), origin?.stop()]);
});

describe("origin URLs in production mode", () => {
  it.each([
    `http://127.0.0.1:PORT`,
    "https://203.0.113.7",
    "http://2130706433:PORT",
    "http://[::1]:PORT",
    "https://[2606:4700:4700::1111]",
  ])("refuses %s with 422 and says what to use instead", async (spelling) => {
    const url = spelling.replace("PORT", String(origin.port));
    const res = await mesh.admin("POST", "/services/urls/origins", { url });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe("ERR_ORIGIN_NOT_ALLOWED");
    expect(res.json.error.message).toMatch(/Cloudflare Workers cannot fetch IP addresses \(error 1003\)/);
    expect(res.json.error.message).toMatch(
      /use a DNS name, a Cloudflare Tunnel hostname or a service binding \(service:\/\/BINDING\) instead/,
    );
    expect(origin.requests).toHaveLength(0);
  });

  it("refuses an IP-literal log sink the same way", async () => {
    const res = await mesh.admin("PUT", "/log-sinks/ip", { url: `http://127.0.0.1:${origin.port}/logs` });
    expect(res.status).toBe(422);
    expect(res.json.error.message).toMatch(/cannot fetch IP addresses \(error 1003\)/);
  });

  it("accepts a port outside Cloudflare's proxied list with a warning, which a proxied name makes true", async () => {
    // The test origin listens on a high port: on a DNS-only name (the harness's default) it is reached.
    const [dnsOnly] = await registerService(mesh, "dns-only", [mesh.expose(origin)]);
    expect(dnsOnly!.json.warnings).toEqual([
      expect.stringMatching(
        new RegExp(`^url port ${origin.port} is not one of Cloudflare's proxied ports .* not proxied by Cloudflare`),
      ),
    ]);
    expect((await fetchWithTimeout(`${mesh.url}/dns-only/x`)).status).toBe(200);
    expect((await mesh.admin("GET", "/services/dns-only/origins")).json.origins[0]).not.toHaveProperty("warnings");

    // On a proxied (orange-cloud) name the edge sends that port to 80, where nothing answers: what the warning said.
    const proxied = mesh.expose({ name: "urls-proxied", port: origin.port }, { proxied: true });
    const [warned] = await registerService(mesh, "proxied", [proxied], { retries: { attempts: 0 } });
    expect(warned!.json.warnings).toHaveLength(1);
    const res = await fetchWithTimeout(`${mesh.url}/proxied/x`);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/error 521/);

    // A port from the list works on a proxied name, and draws no warning.
    const listed = mesh.expose({ name: "urls-listed", port: origin.port }, { port: 8080, proxied: true });
    const [quiet] = await registerService(mesh, "listed", [listed]);
    expect(quiet!.json).not.toHaveProperty("warnings");
    expect((await fetchWithTimeout(`${mesh.url}/listed/x`)).status).toBe(200);
  });
});

describe("origin URLs in local development", () => {
  it("accepts loopback IP literals, without a port warning, when MESH_ALLOW_PRIVATE_ORIGINS is true", async () => {
    const dev = await startMesh({ vars: { MESH_ALLOW_PRIVATE_ORIGINS: "true" } });
    try {
      await dev.admin("PUT", "/services/local", { routes: [{ path_prefix: "/local" }], health_check: null });
      const res = await dev.admin("PUT", "/services/local/origins/l", { url: `http://127.0.0.1:${origin.port}` });
      expect(res.status).toBe(201);
      expect(res.json).not.toHaveProperty("warnings");
    } finally {
      await dev.stop();
    }
  });
});
