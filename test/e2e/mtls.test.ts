import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout, waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";

// mTLS to origins (SPEC §9): `tls.client_certificate_binding` sends a service's requests and health checks
// through that mtls_certificates binding. Such bindings only work deployed, so a stand-in Worker bound under
// the same name records every call it gets and answers as the origin would.

const ORIGIN_CERT = `const calls = [];
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/__calls") return Response.json(calls);
    calls.push({ url: request.url, method: request.method });
    if (url.pathname.endsWith("/healthz")) return new Response("ok");
    return Response.json({ via: "ORIGIN_CERT", url: request.url });
  },
};`;

let mesh: Mesh;
beforeAll(async () => {
  mesh = await startMesh({ services: { ORIGIN_CERT } });
});
afterAll(() => mesh?.stop());

/** What the stand-in binding was asked for, read through the binding itself. */
async function calls(): Promise<{ url: string; method: string }[]> {
  const res = await mesh.miniflare.getWorker("e2e-bound-origin-cert");
  return (await (await res.fetch("https://stand-in/__calls")).json()) as { url: string; method: string }[];
}

describe("mTLS to origins", () => {
  it("sends a service's requests and health checks through its certificate binding", async () => {
    const put = await mesh.admin("PUT", "/services/secure", {
      routes: [{ path_prefix: "/secure" }],
      strip_prefix: true,
      tls: { client_certificate_binding: "ORIGIN_CERT" },
      health_check: { path: "/healthz", interval_s: 1 },
    });
    expect(put.status, JSON.stringify(put.json)).toBe(201);
    const origin = await mesh.admin("PUT", "/services/secure/origins/s1", { url: "https://secure.example.com/base" });
    expect(origin.status).toBe(201);

    mesh.edge.clear();
    const res = await fetchWithTimeout(`${mesh.url}/secure/items?x=1`, { timeoutMs: 20_000 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ via: "ORIGIN_CERT", url: "https://secure.example.com/base/items?x=1" });

    const seen = await waitFor(async () => {
      const all = await calls();
      return all.some((c) => c.url === "https://secure.example.com/base/healthz") ? all : null;
    });
    expect(seen).toContainEqual({ url: "https://secure.example.com/base/items?x=1", method: "GET" });
    // Nothing went out through the plain fetch.
    expect(mesh.edge.requests.filter((r) => r.url.includes("secure.example.com"))).toEqual([]);
  });

  it("refuses a binding the Worker does not have (422), naming what to add", async () => {
    const res = await mesh.admin("PUT", "/services/nocert", {
      routes: [{ path_prefix: "/nocert" }],
      tls: { client_certificate_binding: "MISSING_CERT" },
    });
    expect(res.status).toBe(422);
    expect(res.json.error.details[0].path).toBe("tls.client_certificate_binding");
    expect(res.json.error.message).toContain("[[mtls_certificates]]");
  });
});
