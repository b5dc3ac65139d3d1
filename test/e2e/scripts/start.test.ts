import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout, freePort, sleep, waitFor } from "../harness/http";

// `npm start` as a user (or a supervisor) runs it: wrangler dev on a port, and gone
// again, workerd included, after one SIGTERM to npm. This is the suite's one run of
// `wrangler dev`; everything else runs the Worker under Miniflare.

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** Every live process's parent pid, from /proc. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name in parentheses may hold spaces: the fields after its closing one are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      out.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** `pid` and every live process below it. */
function descendants(pid: number): number[] {
  const tree = parents();
  const found = [pid];
  for (let i = 0; i < found.length; i++) for (const [child, parent] of tree) if (parent === found[i]) found.push(child);
  return found.filter((p) => tree.has(p));
}

/** Whether a process is still alive (zombies count as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Whether anything accepts connections on 127.0.0.1:port. */
async function listening(port: number): Promise<boolean> {
  try {
    const res = await fetchWithTimeout(`http://127.0.0.1:${port}/_mesh/healthz`, { timeoutMs: 2_000 });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

describe("npm start", () => {
  let dir: string;
  let port: number;
  let npm: ChildProcess;
  let output = "";
  const exited = { code: null as number | null, done: false };
  let started: number[] = [];
  let secret = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "flaremesh-start-"));
    port = await freePort();
    secret = randomBytes(36).toString("base64url");
    // An env file of its own, so the developer's .dev.vars is neither read nor created.
    await writeFile(join(dir, "env"), `MESH_ADMIN_SECRET=${secret}\nMESH_ALLOW_PRIVATE_ORIGINS=false\n`);
    npm = spawn("npm", ["start", "--", "--persist-to", join(dir, "state"), "--env-file", join(dir, "env")], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const append = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-32_768);
    };
    npm.stdout?.on("data", append);
    npm.stderr?.on("data", append);
    npm.once("exit", (code) => {
      exited.code = code;
      exited.done = true;
    });
    await waitFor(() => !exited.done && listening(port), {
      timeoutMs: 60_000,
      intervalMs: 250,
      what: "npm start to serve",
    });
  }, 90_000);

  afterAll(async () => {
    // Only if a test failed before stopping it: the processes this test started, by pid.
    for (const pid of started) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the mesh and runs the cron handler", async () => {
    const health = await fetchWithTimeout(`http://127.0.0.1:${port}/_mesh/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const cron = await fetchWithTimeout(`http://127.0.0.1:${port}/__scheduled?cron=*+*+*+*+*`, { timeoutMs: 30_000 });
    expect(cron.status, await cron.text()).toBe(200);
    expect(output).toContain(`flaremesh is starting on http://127.0.0.1:${port}`);
  });

  it("prints a ready dashboard link whose token reads the admin API", async () => {
    const link = new RegExp(`http://127\\.0\\.0\\.1:${port}/_mesh/ui#token=([A-Za-z0-9._-]+)`).exec(output);
    expect(link, output).not.toBeNull();
    const { payload } = await jwtVerify(link![1]!, new TextEncoder().encode(secret), { algorithms: ["HS256"] });
    expect(payload.scope).toBe("mesh:read");
    const res = await fetchWithTimeout(`http://127.0.0.1:${port}/_mesh/api/v1/catalog`, {
      headers: { authorization: `Bearer ${link![1]}` },
    });
    expect(res.status).toBe(200);
  });

  it("stops wrangler and workerd and frees the port after one SIGTERM to npm", async () => {
    started = descendants(npm.pid!);
    // npm, sh, start.mjs, wrangler's two node processes and its workerd processes.
    expect(started.length).toBeGreaterThanOrEqual(5);
    npm.kill("SIGTERM");
    await waitFor(() => exited.done, { timeoutMs: 15_000, what: "npm to exit" });
    await waitFor(() => started.every((pid) => !alive(pid)), {
      timeoutMs: 15_000,
      what: "every process npm start ran to end",
    });
    await sleep(500);
    expect(await listening(port)).toBe(false);
  });
});
