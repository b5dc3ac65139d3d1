// Workers on workerd with no wrangler dev proxy in front, started by Miniflare
// from the same wrangler.toml → options function the e2e tests use
// (test/e2e/harness/worker.mjs): the mesh bundled by `wrangler deploy
// --dry-run`, and the bare passthrough Worker, each in its own host process
// (bench/lib/miniflare-host.mjs) with its own sockets straight into workerd.
import { readdirSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import { bundleWorker, ROOT } from "../../test/e2e/harness/worker.mjs";
import { processTree, startProcess } from "./procs.mjs";

export { ROOT };
const BENCH = join(ROOT, "bench");
const HOST = join(BENCH, "lib", "miniflare-host.mjs");
const requireFromMiniflare = createRequire(join(ROOT, "node_modules", "miniflare", "package.json"));

/** workerd's version string (the build Miniflare runs), for the report. */
export function workerdVersion() {
  try {
    return requireFromMiniflare("workerd/package.json").version;
  } catch {
    return "unknown";
  }
}

/**
 * Bundles the Worker as `wrangler deploy` would (no upload). `root` is the
 * checkout to bundle (default: this one), e.g. a copy with a change to
 * compare against. Adds what the bench needs: the modules (entry first, for
 * source maps) and the compatibility date (for the passthrough Worker).
 */
export async function bundleMesh(dir, root = ROOT) {
  const bundle = await bundleWorker(join(dir, "bundle"), root);
  const files = readdirSync(bundle.dir).filter((f) => !f.endsWith(".map") && f !== "README.md");
  const main = basename(bundle.main);
  const modules = [main, ...files.filter((f) => f !== main)].map((f) => ({ name: f, path: join(bundle.dir, f) }));
  const { unstable_readConfig } = await import("wrangler");
  const config = unstable_readConfig({ config: join(root, "wrangler.toml") });
  return { ...bundle, modules, compatibilityDate: config.compatibility_date };
}

/** The bench's wrapper entry (bench/count-rpc.js) written beside the bundle, importing its entry module. */
async function countRpcEntry(bundle) {
  const path = join(bundle.dir, ".bench-count-rpc.js");
  const source = await readFile(join(BENCH, "count-rpc.js"), "utf8");
  await writeFile(path, source.replaceAll('"./index.js"', JSON.stringify(`./${basename(bundle.main)}`)));
  return path;
}

/**
 * Starts the mesh on workerd. With `edge: true` a second Worker with the
 * same code serves the data plane on its own isolate (like another
 * Cloudflare colo): admin writes go to `adminPort`, proxied traffic to
 * `port`, so a write is seen by the data plane only through its snapshot
 * refresh. `countRpc` wraps the data-plane Worker so `GET /__bench/calls`
 * tells how many Durable Object stubs it made (one per RPC).
 */
export async function startMeshOnWorkerd({
  dir,
  bundle,
  port,
  adminPort,
  secret,
  edge = false,
  countRpc = false,
  inspectorPort,
  extraVars = {},
}) {
  await mkdir(join(dir, "do"), { recursive: true });
  const vars = { MESH_ADMIN_SECRET: secret, MESH_ALLOW_PRIVATE_ORIGINS: "true", ...extraVars };
  return startHost(dir, "mesh", {
    kind: "mesh",
    bundle: { dir: bundle.dir, main: bundle.main, root: bundle.root },
    port,
    adminPort,
    edge,
    countRpc: countRpc ? await countRpcEntry(bundle) : null,
    vars,
    persistDir: join(dir, "do"),
    inspectorPort,
    // Diagnostics only, e.g. BENCH_V8_FLAGS="--trace-gc": V8 flags for the mesh's workerd.
    v8Flags: process.env.BENCH_V8_FLAGS,
  });
}

/**
 * Starts the fleet simulation's workerd: the mesh bundle wrapped by
 * bench/fleet/entry.js (its real Durable Objects, with counters) and the
 * driver Worker (bench/fleet/driver.js) on `port`, bound to those objects.
 */
export async function startFleetHost({ dir, bundle, port, extraVars = {} }) {
  await mkdir(join(dir, "do"), { recursive: true });
  const entry = join(bundle.dir, ".bench-fleet-entry.js");
  const source = await readFile(join(BENCH, "fleet", "entry.js"), "utf8");
  await writeFile(entry, source.replaceAll('"./index.js"', JSON.stringify(`./${basename(bundle.main)}`)));
  return startHost(dir, "fleet", {
    kind: "fleet",
    bundle: { dir: bundle.dir, main: bundle.main, root: bundle.root },
    entry,
    driver: join(BENCH, "fleet", "driver.js"),
    compatibilityDate: bundle.compatibilityDate,
    port,
    vars: { MESH_ALLOW_PRIVATE_ORIGINS: "true", ...extraVars },
    persistDir: join(dir, "do"),
  });
}

/** Starts the bare passthrough Worker (bench/passthrough.js, or `script`) over `origins` on workerd. */
export async function startPassthrough({
  dir,
  port,
  origins,
  compatibilityDate,
  inspectorPort,
  script = join(BENCH, "passthrough.js"),
}) {
  return startHost(dir, "passthrough", {
    kind: "passthrough",
    port,
    origins,
    compatibilityDate,
    inspectorPort,
    script,
    v8Flags: process.env.BENCH_V8_FLAGS,
  });
}

/** Runs miniflare-host.mjs with `spec` and resolves once it says it is serving (or fails with its output). */
async function startHost(dir, name, spec) {
  await mkdir(dir, { recursive: true });
  const proc = startProcess(process.execPath, [HOST, JSON.stringify(spec)], { name: `miniflare-${name}`, cwd: dir });
  const ready = new Promise((resolve) => {
    const onData = (chunk) => {
      if (String(chunk).includes("ready")) {
        proc.child.stdout.off("data", onData);
        resolve(true);
      }
    };
    proc.child.stdout.on("data", onData);
  });
  const started = await Promise.race([ready, proc.exited.then(() => false)]);
  if (!started) throw new Error(`${name} on Miniflare did not start:\n${proc.output()}`);
  // What the report measures: workerd, not the host process that started it (idle once serving).
  proc.measuredPids = () => processTree(proc.pid).filter((pid) => pid !== proc.pid);
  return proc;
}
