// Import rules for src/ and durable-objects/, checked by `npm run lint`. Dependencies point one
// way: api/proxy → clients/observability → balancer/health → model; durable-objects use only the
// pure layers. Type-only imports count: a cycle of types is still a cycle of concepts.
/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No module may depend on itself through others.",
      from: {},
      to: { circular: true },
    },
    {
      name: "durable-objects-without-proxy",
      severity: "error",
      comment: "A Durable Object holds state and answers RPC: it never needs the data plane.",
      from: { path: "^durable-objects/" },
      to: { path: "^src/proxy/", reachable: true },
    },
    {
      name: "admin-api-without-forwarder",
      severity: "error",
      comment: "The admin API reaches the isolate's routing state (src/proxy/isolate.ts), never the forwarder.",
      from: { path: "^src/(api/|app\\.ts$)" },
      to: { path: "^src/proxy/forward\\.ts$", reachable: true },
    },
    {
      name: "pure-layers-stay-pure",
      severity: "error",
      comment: "Models, balancers, health, steering and policy rules are pure: no I/O layers, no Durable Objects.",
      from: { path: "^src/(model|balancer|health|steering|policy)/" },
      to: { path: "^(src/(api|auth|clients|observability|proxy)/|durable-objects/)" },
    },
    {
      name: "dashboard-loads-only-its-own-files",
      severity: "error",
      comment: "The browser can only load what is served below /_mesh/ui (JSDoc type imports of src/model are fine).",
      from: { path: "^src/dashboard/" },
      to: { pathNot: "^src/dashboard/" },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
  },
};
