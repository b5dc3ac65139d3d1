import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Mesh, startMesh } from "./harness/mesh";

// Consul-style blocking queries on the catalog (SPEC §10): a watcher waits on the registry's version.

let mesh: Mesh;
beforeAll(async () => {
  mesh = await startMesh();
});
afterAll(async () => {
  await mesh?.stop();
});

/** A timed catalog read. */
async function read(query: string) {
  const started = Date.now();
  const res = await mesh.admin("GET", `/catalog${query}`);
  return { res, started, ended: Date.now() };
}

describe("GET /catalog?index=&wait=", () => {
  it("answers at once without index, and names its version in X-Mesh-Index", async () => {
    const { res } = await read("");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-mesh-index")).toBe(String(res.json.version));
  });

  it("waits for `wait` when nothing changes, then answers the same version", async () => {
    const version = (await read("")).res.json.version;
    const { res, started, ended } = await read(`?index=${version}&wait=2s`);
    expect(res.status).toBe(200);
    expect(res.json.version).toBe(version);
    expect(ended - started).toBeGreaterThanOrEqual(1900);
    expect(ended - started).toBeLessThan(10_000);
  });

  it("answers within about a second of a change", async () => {
    const version = (await read("")).res.json.version;
    const blocked = read(`?index=${version}&wait=30s`);
    const changing = Date.now();
    const put = await mesh.admin("PUT", "/services/watched", { routes: [{ path_prefix: "/w" }], health_check: null });
    expect(put.status).toBe(201);
    const changed = Date.now();
    const { res, ended } = await blocked;
    expect(ended).toBeGreaterThanOrEqual(changing);
    expect(ended - changed).toBeLessThan(1000);
    expect(res.json.version).toBeGreaterThan(version);
    expect(Object.keys(res.json.services)).toContain("watched");
    expect(res.headers.get("x-mesh-index")).toBe(String(res.json.version));
  });

  it("refuses a wait that is not a duration", async () => {
    const res = await mesh.admin("GET", "/catalog?index=1&wait=soon");
    expect(res.status).toBe(400);
    expect(res.json.error.details[0].path).toBe("wait");
  });
});
