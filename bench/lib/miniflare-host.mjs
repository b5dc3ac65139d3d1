// One benchmark contestant's Workers under Miniflare, in a process of its own
// (so the report's CPU and memory readings cover it and nothing else): the
// mesh as the e2e tests run it (options from wrangler.toml through
// test/e2e/harness/worker.mjs) or the bare passthrough Worker. Each Worker
// listens on its own socket straight into workerd (no Miniflare entry
// Worker, no wrangler dev proxy). Prints "ready" once serving; SIGTERM stops it.
//
//   node bench/lib/miniflare-host.mjs '<JSON spec, see startHost in workerd.mjs>'
import { dirname } from "node:path";
import { Log, LogLevel, Miniflare } from "miniflare";
import { miniflareOptions, workerOptions } from "../../test/e2e/harness/worker.mjs";

const spec = JSON.parse(process.argv[2] ?? "{}");
const socket = (port) => [{ host: "127.0.0.1", port }];

function workers() {
  if (spec.kind === "passthrough") {
    return [
      {
        name: "passthrough",
        modules: [{ type: "ESModule", path: spec.script }],
        modulesRoot: dirname(spec.script),
        compatibilityDate: spec.compatibilityDate,
        bindings: { ORIGINS: spec.origins.join(",") },
        unsafeDirectSockets: socket(spec.port),
      },
    ];
  }
  const { worker, externalWorkers } = workerOptions(spec.bundle, { vars: spec.vars });
  if (spec.kind === "fleet") return fleetWorkers(worker, externalWorkers);
  if (!spec.edge) {
    const entry = spec.countRpc ? workerOptions(spec.bundle, { vars: spec.vars, entry: spec.countRpc }).worker : worker;
    return [{ ...entry, unsafeDirectSockets: socket(spec.port) }, ...externalWorkers];
  }
  // Two Workers of the same code, like two colos: one owns the Durable Objects and takes the admin
  // writes, the other serves the data plane and reaches the first one's objects.
  const edgeWorker = spec.countRpc
    ? workerOptions(spec.bundle, { vars: spec.vars, entry: spec.countRpc }).worker
    : worker;
  const remote = Object.fromEntries(
    Object.entries(worker.durableObjects ?? {}).map(([binding, d]) => [
      binding,
      { ...(typeof d === "string" ? { className: d } : d), scriptName: worker.name },
    ]),
  );
  return [
    { ...worker, unsafeDirectSockets: socket(spec.adminPort) },
    {
      ...edgeWorker,
      name: `${worker.name}-edge`,
      durableObjects: remote,
      cronTriggers: [],
      unsafeDirectSockets: socket(spec.port),
    },
    ...externalWorkers,
  ];
}

/** The fleet simulation: the mesh (wrapped by bench/fleet/entry.js) and the driver Worker bound to its objects. */
function fleetWorkers(worker, externalWorkers) {
  const mesh = workerOptions(spec.bundle, { vars: spec.vars, entry: spec.entry }).worker;
  const bound = Object.fromEntries(
    Object.entries(worker.durableObjects ?? {}).map(([binding, d]) => [
      binding,
      { ...(typeof d === "string" ? { className: d } : d), scriptName: worker.name },
    ]),
  );
  return [
    { ...mesh, cronTriggers: [] },
    {
      name: "fleet-driver",
      modules: [{ type: "ESModule", path: spec.driver }],
      modulesRoot: dirname(spec.driver),
      compatibilityDate: spec.compatibilityDate,
      durableObjects: bound,
      unsafeDirectSockets: socket(spec.port),
    },
    ...externalWorkers,
  ];
}

if (spec.v8Flags) process.env.MINIFLARE_WORKERD_V8_FLAGS = spec.v8Flags;
const mf = new Miniflare(
  miniflareOptions({
    host: "127.0.0.1",
    port: 0,
    inspectorPort: spec.inspectorPort,
    log: new Log(LogLevel.WARN),
    logRequests: false,
    resourcePersistencePath: spec.persistDir,
    workers: workers(),
  }),
);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await mf.dispose().catch(() => {});
  process.exit(0);
}
process.once("SIGTERM", stop);
process.once("SIGINT", stop);

await mf.ready;
process.stdout.write("ready\n");
