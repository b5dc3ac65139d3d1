import type { MeshEnv } from "../config";

/** Every isolate appends to, and the cron ships from, one log buffer instance. */
const LOG_BUFFER_NAME = "global";

/**
 * The stub of the one LogBuffer Durable Object. Make a new stub per request:
 * a stub belongs to the request that made it.
 * @example await logBuffer(env).recent(50)
 */
export function logBuffer(env: Pick<MeshEnv, "LOG_BUFFER">) {
  return env.LOG_BUFFER.get(env.LOG_BUFFER.idFromName(LOG_BUFFER_NAME));
}
