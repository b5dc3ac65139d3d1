// Bench-only entry wrapped around the mesh bundle: counts the Durable Object
// stubs the Worker makes (src/api/registry-client.ts makes one per registry
// RPC) and answers them at GET /__bench/calls. Nothing else changes: the
// request goes to the mesh's own fetch handler with the same env otherwise.
// Diagnostic only: with BENCH_STUB_LOG_BUFFER = "true" the LOG_BUFFER stub
// accepts every call and does nothing, to measure what the request-log
// pipeline's Durable Object writes cost the process.
import mesh from "./index.js";
export * from "./index.js";

const calls = { REGISTRY: 0, LOG_BUFFER: 0, requests: 0 };
const wrapped = new WeakMap();

function counting(namespace, name) {
  return new Proxy(namespace, {
    get(target, prop) {
      const value = target[prop];
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName") {
        return (...args) => {
          calls[name]++;
          return value.apply(target, args);
        };
      }
      return value.bind(target);
    },
  });
}

const noop = new Proxy({}, { get: () => async () => ({}) });
const stubNamespace = {
  idFromName: () => "stub",
  get: () => {
    calls.LOG_BUFFER++;
    return noop;
  },
};

function wrapEnv(env) {
  let out = wrapped.get(env);
  if (out === undefined) {
    out = { ...env };
    for (const name of ["REGISTRY", "LOG_BUFFER"]) if (env[name]) out[name] = counting(env[name], name);
    if (env.BENCH_STUB_LOG_BUFFER === "true") out.LOG_BUFFER = stubNamespace;
    wrapped.set(env, out);
  }
  return out;
}

export default {
  ...mesh,
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__bench/calls") return Response.json(calls);
    calls.requests++;
    return mesh.fetch(request, wrapEnv(env), ctx);
  },
};
