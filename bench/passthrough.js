// The runtime's limit: a Worker that forwards every request to one of its
// origins (round robin over the comma-separated ORIGINS var) and returns the
// answer as it is. No routing table, no headers, no retries, no logs.
let next = 0;

export default {
  fetch(request, env) {
    const origins = (globalThis.__origins ??= env.ORIGINS.split(","));
    const url = new URL(request.url);
    const origin = origins[next++ % origins.length];
    return fetch(origin + url.pathname + url.search, request);
  },
};
