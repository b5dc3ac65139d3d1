import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fetchWithTimeout, freePort, sleep } from "./http";

// `npm start` runs the mesh under `wrangler dev`; one smoke test keeps that
// path working (start, healthz, cron through /__scheduled, stop). Every
// other e2e test runs the Worker under Miniflare (see mesh.ts).

/** The Worker under `wrangler dev` (see `startWranglerDev`). */
export interface WranglerDev {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Process group of wrangler and everything it spawned. */
  pid: number;
  /** Local storage of the Worker's Durable Objects; deleted by `stop()`. */
  persistDir: string;
  /** Fires the cron handler through wrangler's `/__scheduled` route. */
  scheduled(cron?: string): Promise<void>;
  /** Stops wrangler and everything it spawned, and deletes the storage. Idempotent. */
  stop(): Promise<void>;
  /** What wrangler wrote to stdout/stderr so far (the last 64 KiB). */
  output(): string;
}

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const WRANGLER_CLI = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const OUTPUT_MAX = 64 * 1024;
const STOP_GRACE_MS = 5_000;

/** Process groups still running; killed if the test process exits without stopping them. */
const live = new Set<number>();
process.once("exit", () => {
  for (const pgid of live) killGroup(pgid, "SIGKILL");
});

/**
 * Starts the real Worker with `wrangler dev --test-scheduled` on a free port
 * of 127.0.0.1, with fresh local storage, a random admin secret and
 * `.dev.vars` ignored; resolves once `/_mesh/healthz` answers 200.
 * @example const dev = await startWranglerDev(); await dev.scheduled(); await dev.stop();
 */
export async function startWranglerDev(opts: { startTimeoutMs?: number } = {}): Promise<WranglerDev> {
  const [port, inspectorPort] = await Promise.all([freePort(), freePort()]);
  const persistDir = await mkdtemp(join(tmpdir(), "flaremesh-e2e-"));
  const secret = randomBytes(36).toString("base64url"); // 48 characters
  const vars: Record<string, string> = {
    MESH_ADMIN_SECRET: secret,
  };
  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    persistDir,
    "--test-scheduled",
    "--log-level",
    "warn",
    "--show-interactive-dev-session=false",
    // An explicit env file stops wrangler from loading the developer's .dev.vars.
    "--env-file",
    "/dev/null",
    ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ];
  const child = spawnWrangler(args);
  let output = "";
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_MAX);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<void>((done) => {
    child.once("exit", () => done());
    child.once("error", (err) => {
      output += `\n${err.message}`;
      done();
    });
  });

  const pgid = child.pid;
  if (pgid === undefined) {
    await exited; // spawn failures are reported by an "error" event
    await rm(persistDir, { recursive: true, force: true });
    throw new Error(`could not spawn wrangler: ${output}`);
  }
  live.add(pgid);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        // wrangler forwards SIGTERM to its CLI, which shuts workerd down cleanly
        // (a group-wide signal would kill them mid-teardown).
        child.kill("SIGTERM");
        const gone = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
        if (!gone) killGroup(pgid, "SIGKILL");
      }
      // The group may outlive its leader (esbuild lingers): make sure nothing stays behind.
      killGroup(pgid, "SIGKILL");
      live.delete(pgid);
      await rm(persistDir, { recursive: true, force: true, maxRetries: 3 });
    })());

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(url, exited, opts.startTimeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw new Error(`mesh did not start: ${(err as Error).message}\n--- wrangler output ---\n${output}`);
  }

  const scheduled = async (cron = "* * * * *"): Promise<void> => {
    const res = await fetchWithTimeout(`${url}/__scheduled?cron=${encodeURIComponent(cron)}`, { timeoutMs: 30_000 });
    const text = await res.text();
    if (!res.ok) throw new Error(`scheduled handler failed: ${res.status} ${text}`);
  };

  return { url, pid: pgid, persistDir, scheduled, stop, output: () => output };
}

/**
 * wrangler needs Node 22: run its CLI with this very Node when it is new
 * enough (vitest started through npm/npx is), else through npx, which puts
 * the `node` devDependency first on PATH.
 */
function spawnWrangler(args: string[]): ChildProcess {
  const major = Number(process.versions.node.split(".")[0]);
  const [command, argv] =
    major >= 22 ? [process.execPath, [WRANGLER_CLI, ...args]] : ["npx", ["--no-install", "wrangler", ...args]];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CI: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    FORCE_COLOR: "0",
  };
  // Variables that would make wrangler read secrets from the test's own environment.
  delete env.CLOUDFLARE_INCLUDE_PROCESS_ENV;
  delete env.CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV;
  return spawn(command, argv, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
}

async function waitUntilHealthy(url: string, exited: Promise<void>, timeoutMs: number): Promise<void> {
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (hasExited) throw new Error("wrangler exited during start-up");
    try {
      const res = await fetchWithTimeout(`${url}/_mesh/healthz`, { timeoutMs: 2_000 });
      await res.body?.cancel();
      if (res.status === 200) return;
      last = `GET /_mesh/healthz answered ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(150);
  }
  throw new Error(`no 200 from ${url}/_mesh/healthz within ${timeoutMs} ms (${last})`);
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}
