import { createApp } from "./app";
import { proxyRequest } from "./proxy/forward";
import { registry } from "./clients/registry";
import type { MeshEnv } from "./config";
import { flushRecorder } from "./observability/record";
import { shipLogs } from "./observability/ship";

export { Registry } from "../durable-objects/registry";
export { LogBuffer } from "../durable-objects/log-buffer";
export { Checker } from "../durable-objects/checker";

const app = createApp();

/** `/_mesh` and everything below it belong to the mesh itself, on every host. */
function isMeshPath(url: string): boolean {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  return (
    start !== -1 && url.startsWith("/_mesh", start) && (url.length === start + 6 || "/?#".includes(url[start + 6]!))
  );
}

export default {
  fetch(request, env, ctx) {
    // The data plane skips the Hono router: it is the hot path.
    return isMeshPath(request.url) ? app.fetch(request, env, ctx) : proxyRequest(request, env, ctx);
  },
  async scheduled(_controller, env, ctx) {
    // Watchdog: an alarm lost to a crash or deploy is re-armed within a minute.
    ctx.waitUntil(registry(env).ensureAlarm());
    // Log shipping: this isolate's pending entries first, then every sink not backing off (bounded work per run).
    await flushRecorder(env);
    await shipLogs(env);
  },
} satisfies ExportedHandler<MeshEnv>;
