import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SignJWT, importJWK, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";

// `node scripts/gen-signing-key.mjs` as an operator runs it: each step of a key rotation.

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

function run(args: string[], stdin = "") {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      ["scripts/gen-signing-key.mjs", ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(stdin);
  });
}

type Jwk = { kid: string; d: string; kty: string; crv: string; x: string; alg: string };
const kids = (out: string) => (JSON.parse(out) as Jwk[]).map((k) => k.kid);

describe("scripts/gen-signing-key.mjs", () => {
  it("makes a key, adds a second, promotes it and retires the first", async () => {
    const first = await run([]);
    expect(first.code, first.stderr).toBe(0);
    const [key] = JSON.parse(first.stdout) as Jwk[];
    expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", kid: expect.any(String) });
    // The key signs and its public half verifies.
    const priv = await importJWK(key!, "EdDSA");
    const { d: _d, ...pub } = key!;
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: "EdDSA" }).sign(priv);
    await expect(jwtVerify(jwt, await importJWK(pub, "EdDSA"))).resolves.toBeDefined();

    const added = await run(["--add"], first.stdout);
    expect(added.code, added.stderr).toBe(0);
    const [oldKid, newKid] = kids(added.stdout);
    expect(oldKid).toBe(key!.kid);
    expect(newKid).not.toBe(oldKid);

    // `=`: a kid is base64url and may start with '-', which a separate argument would make an option.
    const promoted = await run([`--promote=${newKid}`], added.stdout);
    expect(kids(promoted.stdout)).toEqual([newKid, oldKid]);
    expect((await run(["--kids"], promoted.stdout)).stdout).toBe(`${newKid} (signing)\n${oldKid}\n`);

    const refused = await run([`--retire=${newKid}`], promoted.stdout);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("is the signing key: promote another one first");
    const retired = await run([`--retire=${oldKid}`], promoted.stdout);
    expect(kids(retired.stdout)).toEqual([newKid]);
  });

  it("explains the rotation with --help and refuses bad input with a message", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Rotating without breaking a caller or an origin");
    const notJson = await run(["--add"], "nope");
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain("stdin is not JSON");
    // A kid that starts with '-' given as a separate argument is refused with how to write it (1 kid in 64 does).
    const dashed = await run(["--promote", "-abc"], (await run([])).stdout);
    expect(dashed.code).toBe(2);
    expect(dashed.stderr).toContain("--promote=-XYZ");
    const unknownKid = await run(["--promote", "zzz"], (await run([])).stdout);
    expect(unknownKid.code).toBe(2);
    expect(unknownKid.stderr).toContain("no key has kid zzz");
    expect((await run(["--bogus"])).code).toBe(2);
  });
});
