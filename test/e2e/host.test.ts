import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";

// The Host the origin sees (SPEC §4): its own URL's host, as Cloudflare's
// edge sends it whatever a Worker sets; the client's in x-forwarded-host.

let mesh: Mesh;
let origin: Origin;
beforeAll(async () => {
  [mesh, origin] = await Promise.all([startMesh(), startOrigin({ name: "hosted" })]);
  await mesh.admin("PUT", "/services/shop", {
    routes: [{ host: "shop.example.test", path_prefix: "/" }],
    health_check: null,
  });
  const res = await mesh.admin("PUT", "/services/shop/origins/s1", { url: mesh.expose(origin) });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), origin?.stop()]);
});

/** A GET to the mesh with a Host of the client's choosing (fetch would not let it be set). */
function getWithHost(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${mesh.url}${path}`, { headers: { host }, timeout: 20_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

describe("Host towards the origin", () => {
  it("is the origin URL's host; the client's Host goes in x-forwarded-host", async () => {
    mesh.edge.clear();
    const res = await getWithHost("/echo", "shop.example.test");
    expect(res.status).toBe(200);
    const echo = JSON.parse(res.body) as { headers: Record<string, string> };
    expect(echo.headers.host).toBe(`hosted.origin.test:${origin.port}`);
    expect(echo.headers["x-forwarded-host"]).toBe("shop.example.test");
    // What reached the edge asked for no other Host (that the mesh drops the client's is in test/proxy/headers.test.ts).
    expect(mesh.edge.requests).toHaveLength(1);
    expect(mesh.edge.requests[0]).toMatchObject({ hostOverride: null, sentHost: `hosted.origin.test:${origin.port}` });
  });
});
