// Every contestant behind one interface: { name, url, host, pids(), stop() }.
import { join } from "node:path";
import { adminClient, newSecret } from "./admin.mjs";
import { startHaproxy, startNginxProxy } from "./peers.mjs";
import { freePort, processTree, waitForHttp } from "./procs.mjs";
import { startMeshOnWorkerd, startPassthrough } from "./workerd.mjs";

function wrap(name, proc, url, extra = {}) {
  return {
    name,
    url,
    host: undefined,
    pids: () => (proc.running() ? (proc.measuredPids?.() ?? processTree(proc.pid)) : []),
    stop: () => proc.stop(),
    ...extra,
  };
}

/** Straight to the first origin: the floor, with no proxy at all. */
export function direct(origins) {
  return { name: "direct", url: `${origins[0]}/`, host: undefined, pids: () => [], stop: async () => {} };
}

/** The bare passthrough Worker on workerd, round robin over `origins`. */
export async function passthrough(run, origins, { inspectorPort } = {}) {
  const port = await freePort();
  const proc = await startPassthrough({
    dir: join(run.dir, `passthrough-${port}`),
    port,
    origins,
    compatibilityDate: run.bundle.compatibilityDate,
    inspectorPort,
  });
  const url = `http://127.0.0.1:${port}/`;
  await waitForHttp(url, { proc });
  return wrap("workerd passthrough", proc, url);
}

/**
 * flaremesh on workerd with fresh local storage and an admin client. The
 * returned object's `service(name, host, policy, urls)` registers a service
 * and answers a contestant routed to it by host.
 */
export async function mesh(run, { edge = false, countRpc = false, inspectorPort, extraVars } = {}) {
  const [port, adminPort] = await Promise.all([freePort(), freePort()]);
  const secret = newSecret();
  const dir = join(run.dir, `mesh-${port}`);
  const proc = await startMeshOnWorkerd({
    dir,
    bundle: run.bundle,
    port,
    adminPort,
    secret,
    edge,
    countRpc,
    inspectorPort,
    extraVars,
  });
  const url = `http://127.0.0.1:${port}`;
  const adminUrl = edge ? `http://127.0.0.1:${adminPort}` : url;
  await waitForHttp(`${adminUrl}/_mesh/healthz`, { proc, timeoutMs: 30_000 });
  if (edge) await waitForHttp(`${url}/_mesh/healthz`, { proc });
  const admin = adminClient(adminUrl, secret);
  const pids = () => (proc.running() ? proc.measuredPids() : []);
  return {
    proc,
    url,
    adminUrl,
    admin,
    pids,
    stop: () => proc.stop(),
    /** A contestant for the service routed by `host` (the service must exist). */
    contestant: (name, host) => ({ name, url: `${url}/`, host, pids, stop: async () => {} }),
  };
}

/** nginx (one worker) in front of `origins` with `policy` ("round_robin" or "least_conn"). */
export async function nginx(run, origins, policy) {
  const port = await freePort();
  const proc = await startNginxProxy({ dir: join(run.dir, `nginx-${port}`), port, origins, policy });
  const url = `http://127.0.0.1:${port}/`;
  await waitForHttp(url, { proc });
  return wrap(`nginx ${policy}`, proc, url);
}

/** HAProxy (one thread) in front of `origins` with `policy` ("roundrobin" or "leastconn"). */
export async function haproxy(run, origins, policy) {
  const port = await freePort();
  const proc = await startHaproxy({ dir: join(run.dir, `haproxy-${port}`), port, origins, policy });
  const url = `http://127.0.0.1:${port}/`;
  await waitForHttp(url, { proc });
  return wrap(`HAProxy ${policy}`, proc, url);
}
