import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";

// `npm run -s token` as a user runs it: the script with a secret from the environment.

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const SECRET = "token-test-secret-0123456789-0123456789";

function token(args: string[], env: Record<string, string> = { MESH_ADMIN_SECRET: SECRET }) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["scripts/token.mjs", ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("scripts/token.mjs", () => {
  it("mints a token with the scopes asked for, valid for the ttl", async () => {
    const out = await token(["--scope", "mesh:read mesh:write", "--ttl", "120"]);
    expect(out.code, out.stderr).toBe(0);
    const { payload } = await jwtVerify(out.stdout.trim(), new TextEncoder().encode(SECRET), { algorithms: ["HS256"] });
    expect(payload.scope).toBe("mesh:read mesh:write");
    expect(payload.exp! - payload.iat!).toBe(120);
  });

  it("refuses an unknown scope instead of minting a useless token", async () => {
    const out = await token(["--scope", "mesh:reed"]);
    expect(out.code).toBe(1);
    expect(out.stdout).toBe("");
    expect(out.stderr).toContain('unknown scope "mesh:reed"');
    expect(out.stderr).toContain("mesh:read, mesh:write, mesh:heartbeat");
  });

  it("refuses a heartbeat token without --svc and a --ttl the mesh would refuse", async () => {
    const noSvc = await token(["--scope", "mesh:heartbeat"]);
    expect(noSvc.code).not.toBe(0);
    expect(noSvc.stderr).toContain("--svc");
    const withSvc = await token(["--scope", "mesh:heartbeat", "--svc", "users"]);
    expect(withSvc.code, withSvc.stderr).toBe(0);
    const long = await token(["--scope", "mesh:read", "--ttl", String(2 * 86_400)]);
    expect(long.code).not.toBe(0);
    expect(long.stderr).toContain("MESH_ADMIN_MAX_TTL_S (86400 s)");
    const allowed = await token(["--scope", "mesh:read", "--ttl", String(2 * 86_400)], {
      MESH_ADMIN_SECRET: SECRET,
      MESH_ADMIN_MAX_TTL_S: String(3 * 86_400),
    });
    expect(allowed.code, allowed.stderr).toBe(0);
  });

  it("refuses an empty scope list", async () => {
    const out = await token(["--scope", " "]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("--scope is empty");
  });
});
