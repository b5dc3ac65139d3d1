import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMesh, type Mesh } from "./harness/mesh";
import { rawGet } from "./harness/probes";
import { registerService } from "./harness/services";
import { type SmallOrigin, startGzipOrigin } from "./harness/stream-origins";

// Two Set-Cookie fields from the origin reach the client as two fields
// (joining them with a comma would corrupt cookies whose Expires has one).

let mesh: Mesh;
let origin: SmallOrigin;
beforeAll(async () => {
  [mesh, origin] = await Promise.all([startMesh(), startGzipOrigin()]);
  await registerService(mesh, "cookies", [mesh.expose({ name: "cookies", port: origin.port })]);
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), origin?.stop()]);
});

describe("Set-Cookie through the mesh", () => {
  it("keeps two Set-Cookie fields apart", async () => {
    const res = await rawGet(`${mesh.url}/cookies/login`, {});
    expect(res.status).toBe(200);
    expect(res.headers["set-cookie"]).toEqual(["a=1; Path=/", "b=2; Path=/"]);
  });
});
