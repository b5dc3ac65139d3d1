import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deterministicBytes } from "./harness/bytes";
import { sha256 } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";
import { registerService } from "./harness/services";

// Request bodies through the mesh, sent by real clients: curl with
// `Expect: 100-continue`, and node's http client without a Content-Length
// (chunked); each must reach the origin byte for byte.

const run = promisify(execFile);
const MIB = 1024 * 1024;
let mesh: Mesh;
let origin: Origin;
let dir: string;
beforeAll(async () => {
  [mesh, origin, dir] = await Promise.all([
    startMesh(),
    startOrigin({ name: "uploads" }),
    mkdtemp(join(tmpdir(), "flaremesh-e2e-upload-")),
  ]);
  await registerService(mesh, "up", [mesh.expose(origin)]);
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), origin?.stop(), dir && rm(dir, { recursive: true, force: true })]);
});

interface Echo {
  method: string;
  body_length: number;
  body_sha256: string;
  headers: Record<string, string>;
}

describe("uploads through the mesh", () => {
  it("carries a 3 MiB curl upload sent with Expect: 100-continue intact", async () => {
    const bytes = deterministicBytes(0, 3 * MIB);
    const file = join(dir, "three-mib.bin");
    await writeFile(file, bytes);
    const { stdout } = await run(
      "curl",
      [
        "-sS",
        "--max-time",
        "30",
        "-X",
        "PUT",
        "-H",
        "Expect: 100-continue",
        "-H",
        "content-type: application/octet-stream",
        "--data-binary",
        `@${file}`,
        `${mesh.url}/up/echo`,
      ],
      { maxBuffer: 4 * MIB },
    );
    const echo = JSON.parse(stdout) as Echo;
    expect(echo).toMatchObject({ method: "PUT", body_length: 3 * MIB, body_sha256: sha256(bytes) });
    expect(echo.headers["content-length"]).toBe(String(3 * MIB));
  });

  it("carries a chunked upload (no Content-Length) from node's http client intact", async () => {
    const bytes = deterministicBytes(7, 2 * MIB + 123);
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(`${mesh.url}/up/echo`, { method: "POST", headers: { "content-type": "x/y" } });
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", reject);
      // Several writes with pauses: the body really arrives in pieces, with no length announced.
      let at = 0;
      const step = 256 * 1024;
      const write = (): void => {
        if (at >= bytes.length) return void req.end();
        req.write(bytes.subarray(at, at + step));
        at += step;
        setTimeout(write, 5);
      };
      write();
    });
    expect(answer.status).toBe(200);
    const echo = JSON.parse(answer.text) as Echo;
    expect(echo).toMatchObject({ method: "POST", body_length: bytes.length, body_sha256: sha256(bytes) });
    expect(echo.headers["content-length"]).toBeUndefined();
  });
});
