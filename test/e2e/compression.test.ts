import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMesh, type Mesh } from "./harness/mesh";
import { registerService } from "./harness/services";
import { GZIP_TEXT, type SmallOrigin, startGzipOrigin } from "./harness/stream-origins";

// A gzip-encoded answer from the origin, through the mesh, decoded by the
// real curl binary (`--compressed`) as a user's client would.

const run = promisify(execFile);
let mesh: Mesh;
let gz: SmallOrigin & { gzipped: Buffer };
beforeAll(async () => {
  [mesh, gz] = await Promise.all([startMesh(), startGzipOrigin()]);
  await registerService(mesh, "gz", [mesh.expose({ name: "gz", port: gz.port })]);
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), gz?.stop()]);
});

/** curl's answer: the status line and headers it printed, and the body it wrote. */
async function curl(args: string[]): Promise<{ head: string; body: string }> {
  const { stdout } = await run("curl", ["-sS", "--max-time", "20", "-D", "-", ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const end = stdout.indexOf("\r\n\r\n");
  return { head: stdout.slice(0, end), body: stdout.slice(end + 4) };
}

describe("compressed answers through the mesh", () => {
  it.each(["text/plain", "application/octet-stream"])(
    "curl --compressed decodes the origin's gzip (%s)",
    async (type) => {
      const { head, body } = await curl(["--compressed", `${mesh.url}/gz/doc?type=${encodeURIComponent(type)}`]);
      expect(head).toMatch(/^HTTP\/1\.1 200/);
      expect(head).toMatch(/^content-encoding: gzip$/im);
      expect(head).toMatch(/^x-mesh-origin: gz-1$/im);
      expect(body).toBe(GZIP_TEXT);
      expect(gz.requests.at(-1)?.headers["accept-encoding"]).toMatch(/gzip/);
    },
  );
});
