import { createApp } from "./app";
import { MeshError, errorResponse } from "./errors";
import { registry } from "./api/registry-client";
import type { MeshEnv } from "./config";

export { Registry } from "../durable-objects/registry";

const app = createApp();
app.all("*", (c) => errorResponse(new MeshError("ERR_NO_ROUTE", `no service routes ${c.req.method} ${c.req.path}`), crypto.randomUUID()));

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    // Watchdog: an alarm lost to a crash or deploy is re-armed within a minute.
    ctx.waitUntil(registry(env).ensureAlarm());
  },
} satisfies ExportedHandler<MeshEnv>;
