// Workers on workerd itself (`workerd serve config.capnp`), with no wrangler
// dev proxy in front: the mesh bundled by `wrangler deploy --dry-run`, and the
// bare passthrough Worker. The capnp config is generated from wrangler.toml.
import { readdirSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { startProcess } from "./procs.mjs";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BENCH = join(ROOT, "bench");
const requireFromWrangler = createRequire(join(ROOT, "node_modules", "wrangler", "package.json"));

/** The workerd binary wrangler itself runs (so the runtime is the one `wrangler dev` and deploys target). */
export function workerdBinary() {
  const mod = requireFromWrangler("workerd");
  return mod.default ?? mod;
}

/** workerd's version string, for the report. */
export function workerdVersion() {
  try {
    return requireFromWrangler("workerd/package.json").version;
  } catch {
    return "unknown";
  }
}

/**
 * Bundles the Worker as `wrangler deploy` would (no upload) and reads
 * wrangler.toml: compatibility settings, Durable Object bindings (SQLite or
 * not, from the migrations) and vars. `root` is the checkout to bundle
 * (default: this one), e.g. a copy with a change to compare against.
 */
export async function bundleMesh(dir, root = ROOT) {
  const out = join(dir, "bundle");
  const proc = startProcess(
    process.execPath,
    [join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", out],
    {
      name: "wrangler-bundle",
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", FORCE_COLOR: "0" },
    },
  );
  const { code } = await proc.exited;
  if (code !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${proc.output()}`);
  const { unstable_readConfig } = await import(requireFromWrangler.resolve("wrangler"));
  const config = unstable_readConfig({ config: join(root, "wrangler.toml") });
  const sqlite = new Set();
  for (const m of config.migrations ?? []) {
    for (const c of m.new_sqlite_classes ?? []) sqlite.add(c);
    for (const c of m.deleted_classes ?? []) sqlite.delete(c);
  }
  const mainName = `${basename(config.main, extname(config.main))}.js`;
  const files = readdirSync(out).filter((f) => !f.endsWith(".map") && f !== "README.md");
  const modules = [mainName, ...files.filter((f) => f !== mainName)].map((f) => ({ name: f, path: join(out, f) }));
  return {
    modules,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags ?? [],
    durableObjects: (config.durable_objects?.bindings ?? [])
      .filter((b) => !b.script_name)
      .map((b) => ({ binding: b.name, className: b.class_name, sql: sqlite.has(b.class_name) })),
    vars: Object.fromEntries(
      Object.entries(config.vars ?? {}).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    ),
  };
}

const q = (s) => JSON.stringify(String(s));
/** capnp constant names are camelCase: "mesh-edge" → "meshEdge". */
const capnpName = (name) => name.replace(/-(\w)/g, (_, c) => c.toUpperCase());

// capnp resolves `embed` paths against the config file's directory ("/…" would mean the import path).
function moduleLine({ name, path }, configDir) {
  const ext = extname(name);
  const kind = ext === ".wasm" ? "wasm" : ext === ".txt" ? "text" : ext === ".bin" ? "data" : "esModule";
  return `(name = ${q(name)}, ${kind} = embed ${q(relative(configDir, path))})`;
}

function workerBlock({
  configDir,
  modules,
  compatibilityDate,
  compatibilityFlags = [],
  bindings,
  durableObjectNamespaces = [],
  disk,
}) {
  const lines = [
    `modules = [ ${modules.map((m) => moduleLine(m, configDir)).join(", ")} ]`,
    `compatibilityDate = ${q(compatibilityDate)}`,
  ];
  if (compatibilityFlags.length) lines.push(`compatibilityFlags = [ ${compatibilityFlags.map(q).join(", ")} ]`);
  lines.push(`bindings = [ ${bindings.join(", ")} ]`);
  if (durableObjectNamespaces.length) {
    lines.push(`durableObjectNamespaces = [ ${durableObjectNamespaces.join(", ")} ]`);
    lines.push(`durableObjectStorage = (localDisk = ${q(disk)})`);
  }
  lines.push(`globalOutbound = "internet"`);
  return `(\n    ${lines.join(",\n    ")}\n  )`;
}

/**
 * Starts the mesh on workerd. With `edge: true` a second Worker with the
 * same code serves the data plane on its own isolate (like another
 * Cloudflare colo): admin writes go to `adminUrl`, proxied traffic to `url`,
 * so a write is seen by the data plane only through its snapshot refresh.
 * `countRpc` wraps the data-plane Worker so `GET /__bench/calls` tells how
 * many Durable Object stubs it made (one per RPC).
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
  const vars = { ...bundle.vars, MESH_ADMIN_SECRET: secret, MESH_ALLOW_PRIVATE_ORIGINS: "true", ...extraVars };
  const textBindings = Object.entries(vars).map(([k, v]) => `(name = ${q(k)}, text = ${q(v)})`);
  const wrapper = { name: "bench-count-rpc.js", path: join(dir, "bench-count-rpc.js") };
  if (countRpc) {
    const main = bundle.modules[0].name;
    await writeFile(
      wrapper.path,
      (await readFile(join(BENCH, "count-rpc.js"), "utf8")).replaceAll('"./index.js"', q(`./${main}`)),
    );
  }
  const ownBindings = [
    ...textBindings,
    ...bundle.durableObjects.map((d) => `(name = ${q(d.binding)}, durableObjectNamespace = ${q(d.className)})`),
  ];
  const namespaces = bundle.durableObjects.map(
    (d) =>
      `(className = ${q(d.className)}, uniqueKey = ${q(`flaremesh-${d.className}`)}${d.sql ? ", enableSql = true" : ""})`,
  );
  const base = {
    configDir: dir,
    modules: bundle.modules,
    compatibilityDate: bundle.compatibilityDate,
    compatibilityFlags: bundle.compatibilityFlags,
  };
  const workers = [];
  const sockets = [];
  if (edge) {
    workers.push([
      "mesh",
      workerBlock({ ...base, bindings: ownBindings, durableObjectNamespaces: namespaces, disk: "do-disk" }),
    ]);
    const remote = bundle.durableObjects.map(
      (d) => `(name = ${q(d.binding)}, durableObjectNamespace = (className = ${q(d.className)}, serviceName = "mesh"))`,
    );
    const modules = countRpc ? [wrapper, ...bundle.modules] : bundle.modules;
    workers.push(["mesh-edge", workerBlock({ ...base, modules, bindings: [...textBindings, ...remote] })]);
    sockets.push(`(name = "admin", address = ${q(`127.0.0.1:${adminPort}`)}, http = (), service = "mesh")`);
    sockets.push(`(name = "data", address = ${q(`127.0.0.1:${port}`)}, http = (), service = "mesh-edge")`);
  } else {
    const modules = countRpc ? [wrapper, ...bundle.modules] : bundle.modules;
    workers.push([
      "mesh",
      workerBlock({ ...base, modules, bindings: ownBindings, durableObjectNamespaces: namespaces, disk: "do-disk" }),
    ]);
    sockets.push(`(name = "data", address = ${q(`127.0.0.1:${port}`)}, http = (), service = "mesh")`);
  }
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
${workers.map(([name]) => `    (name = ${q(name)}, worker = .${capnpName(name)}),`).join("\n")}
    (name = "internet", network = (allow = ["public", "private", "local"])),
    (name = "do-disk", disk = (path = ${q(join(dir, "do"))}, writable = true)),
  ],
  sockets = [ ${sockets.join(", ")} ],
  ${/* Diagnostics only, e.g. BENCH_V8_FLAGS="--trace-gc": V8 flags for the mesh's workerd. */ ""}
  ${process.env.BENCH_V8_FLAGS ? `v8Flags = [${process.env.BENCH_V8_FLAGS.split(" ").map(q).join(", ")}],` : ""}
);
${workers.map(([name, block]) => `const ${capnpName(name)} :Workerd.Worker = ${block};`).join("\n")}
`;
  return serve(dir, "mesh", config, inspectorPort);
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
  const block = workerBlock({
    configDir: dir,
    modules: [{ name: "passthrough.js", path: script }],
    compatibilityDate,
    bindings: [`(name = "ORIGINS", text = ${q(origins.join(","))})`],
  });
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "passthrough", worker = .passthrough),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "data", address = ${q(`127.0.0.1:${port}`)}, http = (), service = "passthrough") ],
);
const passthrough :Workerd.Worker = ${block};
`;
  return serve(dir, "passthrough", config, inspectorPort);
}

async function serve(dir, name, config, inspectorPort) {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${name}.capnp`);
  await writeFile(file, config);
  const args = ["serve", file, "--experimental"];
  if (inspectorPort) args.push(`--inspector-addr=127.0.0.1:${inspectorPort}`);
  return startProcess(workerdBinary(), args, { name: `workerd-${name}`, cwd: dir });
}
