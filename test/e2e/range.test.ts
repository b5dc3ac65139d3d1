import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMesh, type Mesh } from "./harness/mesh";
import { rawGet } from "./harness/probes";
import { registerService } from "./harness/services";
import { GZIP_TEXT, type SmallOrigin, startGzipOrigin } from "./harness/stream-origins";

// Range requests through the mesh: the client's Range reaches the origin and
// its 206 comes back with the right bytes and Content-Range.

let mesh: Mesh;
let origin: SmallOrigin;
beforeAll(async () => {
  [mesh, origin] = await Promise.all([startMesh(), startGzipOrigin()]);
  await registerService(mesh, "files", [mesh.expose({ name: "files", port: origin.port })]);
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), origin?.stop()]);
});

describe("Range through the mesh", () => {
  it("answers 206 with exactly the bytes asked for", async () => {
    const res = await rawGet(`${mesh.url}/files/range`, { range: "bytes=100-149" });
    expect(res.status).toBe(206);
    expect(res.headers["content-range"]).toBe(`bytes 100-149/${GZIP_TEXT.length}`);
    expect(res.body.toString()).toBe(GZIP_TEXT.slice(100, 150));
    expect(res.body).toHaveLength(50);
    expect(origin.requests.at(-1)?.headers.range).toBe("bytes=100-149");
  });

  it("answers the whole body without Range", async () => {
    const res = await rawGet(`${mesh.url}/files/range`, {});
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(GZIP_TEXT);
  });
});
