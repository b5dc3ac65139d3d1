// The Worker as wrangler.toml describes it, turned into Miniflare options by
// wrangler's own helper: one source for the end-to-end harness and the
// benchmark. Every binding wrangler.toml declares (Durable Objects, vars,
// crons, and later assets, services, rate limiters, queues) comes through
// here, so a new binding needs no harness change. Plain JS so that the
// benchmark (plain Node) imports it as the tests do.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { convertV4MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";

/** The checkout this file belongs to. */
export const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/**
 * @typedef {object} WorkerBundle
 * @property {string} dir   where `wrangler deploy --dry-run --outdir` wrote the bundle
 * @property {string} main  the bundle's entry module
 * @property {string} root  the checkout it was built from
 */

/**
 * Bundles the Worker exactly as `wrangler deploy` would (no upload) into `outDir`.
 * @param {string} outDir
 * @param {string} [root] the checkout to bundle (default: this one)
 * @returns {Promise<WorkerBundle>}
 * @example const bundle = await bundleWorker(join(tmp, "bundle"));
 */
export async function bundleWorker(outDir, root = ROOT) {
  const wrangler = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", FORCE_COLOR: "0" };
  const child = spawn(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outDir], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  const code = await new Promise((done) => {
    child.once("exit", (c) => done(c ?? 1));
    child.once("error", (err) => {
      output += err.message;
      done(1);
    });
  });
  if (code !== 0) throw new Error(`wrangler deploy --dry-run failed (exit ${code}):\n${output}`);
  const config = readConfig(root);
  return { dir: outDir, main: join(outDir, `${basename(config.main, extname(config.main))}.js`), root };
}

/**
 * @param {string} root
 * @returns {import("wrangler").Unstable_Config}
 */
function readConfig(root) {
  return unstable_readConfig({ config: join(root, "wrangler.toml") });
}

/**
 * Miniflare (v4-style) options of the Worker in `bundle.root`'s wrangler.toml
 * running `bundle`'s code: the Worker itself (named as in wrangler.toml) and
 * the external Workers its bindings need. `.dev.vars`, `.env` and the
 * process environment are never read: `vars` are the only values added.
 * @param {WorkerBundle} bundle
 * @param {{ vars?: Record<string, string>, entry?: string }} [opts] `entry`: another entry module in the bundle's folder (a wrapper)
 * @example const { worker } = workerOptions(bundle, { vars: { MESH_ADMIN_SECRET: secret } });
 */
export function workerOptions(bundle, { vars = {}, entry } = {}) {
  const config = readConfig(bundle.root);
  const { workerOptions: options, externalWorkers } = withoutEnvSecrets(() =>
    // Naming an env file (and switching .env loading off) stops wrangler from reading .dev.vars.
    unstable_getMiniflareWorkerOptions(config, undefined, { envFiles: [join(bundle.dir, ".no-env")] }),
  );
  const { modulesRules, ...rest } = options;
  const worker = {
    ...rest,
    name: config.name,
    modules: bundleModules(bundle, modulesRules ?? [], entry),
    modulesRoot: bundle.dir,
    bindings: { ...options.bindings, ...vars },
  };
  return { worker, externalWorkers, config };
}

/**
 * The bundle's files as Miniflare modules, entry first, typed by wrangler's
 * module rules (Miniflare's v4 options converter does not locate modules itself).
 */
function bundleModules(bundle, rules, entry) {
  const main = entry ?? bundle.main;
  const files = readdirSync(bundle.dir).filter((f) => !f.endsWith(".map") && f !== "README.md" && !f.startsWith("."));
  const others = files.map((f) => join(bundle.dir, f)).filter((p) => p !== main);
  return [main, ...others].map((path) => ({ type: moduleType(path, rules), path }));
}

function moduleType(path, rules) {
  for (const rule of rules) {
    for (const glob of rule.include) {
      const ext = glob.match(/^\*\*\/\*(\.[^/*?]+)$/)?.[1];
      if (ext !== undefined && path.endsWith(ext)) return rule.type;
    }
  }
  return "ESModule";
}

/** Runs `fn` with wrangler's switches that pour `.env` files or the process environment into the Worker turned off. */
function withoutEnvSecrets(fn) {
  const saved = {
    CLOUDFLARE_INCLUDE_PROCESS_ENV: process.env.CLOUDFLARE_INCLUDE_PROCESS_ENV,
    CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: process.env.CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV,
  };
  delete process.env.CLOUDFLARE_INCLUDE_PROCESS_ENV;
  process.env.CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV = "false";
  try {
    return fn();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/**
 * Miniflare's own options from v4-style ones (what wrangler's helper speaks).
 * `cf: false` unless given: Miniflare would otherwise download a real
 * `request.cf` from the internet (it skips that only under NODE_ENV=test).
 * @param {object} v4
 */
export function miniflareOptions(v4) {
  return convertV4MiniflareOptions({ cf: false, ...v4 });
}
