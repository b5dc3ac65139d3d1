import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Mesh, startMesh } from "./harness/mesh";

// The admin API's OpenAPI document as a real linter sees it (Redocly's recommended rules).

let mesh: Mesh;
let dir: string;
beforeAll(async () => {
  mesh = await startMesh();
  dir = mkdtempSync(join(tmpdir(), "flaremesh-openapi-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await mesh?.stop();
});

function lint(file: string): Promise<{ code: number | null; output: string }> {
  const bin = createRequire(import.meta.url).resolve("@redocly/cli/bin/cli.js");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "lint", file, "--format", "stylish"], {
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("OpenAPI document", () => {
  it("passes `redocly lint` with 0 errors", async () => {
    const res = await fetch(`${mesh.url}/_mesh/api/v1/openapi.json`);
    const file = join(dir, "openapi.json");
    writeFileSync(file, await res.text());
    const { code, output } = await lint(file);
    expect(output).not.toMatch(/[1-9]\d* errors?/);
    expect(code, output).toBe(0);
  });
});
