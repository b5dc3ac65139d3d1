import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { waitFor } from "./harness/http";
import { type Mesh, startMesh } from "./harness/mesh";
import { type Origin, startOrigin } from "./harness/origin";

// The CLI as a user runs it: a separate node process talking HTTP to a running mesh.

const CLI = join(import.meta.dirname, "..", "..", "cli", "flaremesh.mjs");

let mesh: Mesh;
let origin: Origin;
let dir: string;
let env: Record<string, string>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  [mesh, origin] = await Promise.all([startMesh(), startOrigin({ name: "cli" })]);
  dir = mkdtempSync(join(tmpdir(), "flaremesh-cli-"));
  env = {
    PATH: process.env.PATH ?? "",
    NO_COLOR: "1",
    FLAREMESH_URL: mesh.url,
    FLAREMESH_TOKEN: await mesh.token("mesh:read mesh:write", { sub: "alice" }),
    FLAREMESH_CONFIG: join(dir, "profile.json"),
  };
});
afterAll(async () => {
  for (const child of children) child.kill();
  rmSync(dir, { recursive: true, force: true });
  await Promise.all([mesh?.stop(), origin?.stop()]);
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end (asynchronously: the mesh runs in this process). */
function cli(args: string[], extra: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...env, ...extra } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill(), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const file = (name: string, doc: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof doc === "string" ? doc : YAML.stringify(doc));
  return path;
};

const meshFile = () => ({
  services: {
    shop: {
      routes: [{ path_prefix: "/shop" }],
      strip_prefix: true,
      health_check: null,
      origins: { "shop-1": { url: mesh.expose(origin) }, "shop-2": { url: mesh.expose(origin), weight: 2 } },
    },
  },
});

describe("flaremesh CLI", () => {
  it("plans, applies, plans nothing the second time, and round-trips through export", async () => {
    const path = file("mesh.yaml", meshFile());
    const dry = await cli(["apply", "-f", path, "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("+ services/shop");
    expect(dry.stdout).toContain("+ services/shop/origins/shop-2");
    expect(dry.stdout).toContain("Plan: 3 to create, 0 to update, 0 to delete.");
    expect((await mesh.admin("GET", "/services/shop")).status).toBe(404);

    const applied = await cli(["apply", "-f", path]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Applied: revision \d+/);
    expect((await mesh.admin("GET", "/services/shop/origins")).json.origins).toHaveLength(2);
    expect((await cli(["apply", "-f", path])).stdout).toContain("No changes");

    const exported = await cli(["export", "-o", join(dir, "exported.yaml")]);
    expect(exported.code, exported.stderr).toBe(0);
    const text = readFileSync(join(dir, "exported.yaml"), "utf8");
    expect(text).toContain(`# yaml-language-server: $schema=${mesh.url}/_mesh/api/v1/schema/mesh-config.json`);
    expect(YAML.parse(text).services.shop.origins["shop-2"]).toEqual({ url: mesh.expose(origin), weight: 2 });
    const again = await cli(["apply", "-f", join(dir, "exported.yaml"), "--dry-run", "--prune"]);
    expect(again.stdout).toContain("No changes");

    const changed = meshFile();
    changed.services.shop.origins["shop-2"].weight = 5;
    const update = await cli(["apply", "-f", file("changed.yaml", changed), "--dry-run"]);
    expect(update.stdout).toContain("~ services/shop/origins/shop-2");
    expect(update.stdout).toContain("weight: 2 → 5");
  });

  it("exits 1 naming a misspelt field, and changes nothing", async () => {
    const bad = meshFile() as any;
    bad.services.typo = { routes: [{ path_prefix: "/typo" }], helth_check: null };
    const run = await cli(["apply", "-f", file("typo.yaml", bad)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("ERR_VALIDATION");
    expect(run.stderr).toContain("helth_check");
    expect(run.stderr).toMatch(/field services\.typo/);
    expect((await mesh.admin("GET", "/services/typo")).status).toBe(404);
  });

  it("prints JSON that parses with --json", async () => {
    const run = await cli(["--json", "services", "ls"]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).services.map((s: { name: string }) => s.name)).toContain("shop");
    const status = JSON.parse((await cli(["--json", "status"])).stdout);
    expect(status.services).toBeGreaterThanOrEqual(1);
    const top = await cli(["--json", "top", "--once", "--interval", "0.2"]);
    expect(top.code, top.stderr).toBe(0);
    expect(JSON.parse(top.stdout).services.find((s: { service: string }) => s.service === "shop")).toMatchObject({
      origins: 2,
    });
  });

  it("exits 1 with ERR_UNAUTHENTICATED for a bad token, and 2 for a usage mistake", async () => {
    const run = await cli(["services", "ls"], { FLAREMESH_TOKEN: "not-a-token" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("ERR_UNAUTHENTICATED");
    expect((await cli(["origins", "weight", "shop"])).code).toBe(2);
    expect((await cli(["--nope"])).code).toBe(2);
  });

  it("drains and weighs origins, and login writes a profile only its owner can read", async () => {
    expect((await cli(["origins", "weight", "shop", "shop-1", "7"])).code).toBe(0);
    expect((await mesh.admin("GET", "/services/shop/origins")).json.origins[0].weight).toBe(7);
    const login = await cli(["login", "--url", mesh.url, "--token", env.FLAREMESH_TOKEN!], {
      FLAREMESH_URL: "",
      FLAREMESH_TOKEN: "",
    });
    expect(login.code, login.stderr).toBe(0);
    expect(statSync(env.FLAREMESH_CONFIG!).mode & 0o777).toBe(0o600);
    const viaProfile = await cli(["origins", "ls", "shop"], { FLAREMESH_URL: "", FLAREMESH_TOKEN: "" });
    expect(viaProfile.code, viaProfile.stderr).toBe(0);
    expect(viaProfile.stdout).toMatch(/shop-1\s+http:\/\/cli\.origin\.test:\d+\s+7/);
  });

  it("events --follow prints a transition within a couple of seconds of it happening", async () => {
    const child = spawn(process.execPath, [CLI, "events", "--follow", "--service", "shop"], { env });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    await waitFor(() => stderr.includes("following"), { timeoutMs: 15_000 });
    const before = stdout;
    const drained = Date.now();
    expect((await mesh.admin("PATCH", "/services/shop/origins/shop-2", { drain: true })).status).toBe(200);
    await waitFor(() => stdout.slice(before.length).includes("shop/shop-2") && stdout.includes("→ draining"), {
      timeoutMs: 5_000,
    });
    expect(Date.now() - drained).toBeLessThan(3_000);
    child.kill();
  });
});
