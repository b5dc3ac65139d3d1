import { type MeshEnv, positiveInt } from "../config";

/** Shard 0 keeps the name the one log buffer always had, so its entries, counters and sinks carry on. */
const CONTROL_SHARD = "global";
/** Default of `MESH_LOG_SHARDS`: 1,000 isolates flushing once a second put about 125 calls/s on each. */
export const DEFAULT_LOG_SHARDS = 8;
/** Most shards: the cron, the metrics and `GET /logs` make one call per shard. */
export const MAX_LOG_SHARDS = 64;

/**
 * How many LogBuffer objects share the request logs (`MESH_LOG_SHARDS`,
 * 1–64, default 8). Only raise it: entries in a shard beyond a lowered
 * count are no longer shipped.
 * @example logShards({ MESH_LOG_SHARDS: "16" }) // 16
 */
export function logShards(env: Partial<Pick<MeshEnv, "MESH_LOG_SHARDS">>): number {
  return Math.min(MAX_LOG_SHARDS, positiveInt(env.MESH_LOG_SHARDS) ?? DEFAULT_LOG_SHARDS);
}

/** The object name of shard `i`. */
export function shardName(i: number): string {
  return i === 0 ? CONTROL_SHARD : `shard-${i}`;
}

/** Drawn once per isolate, at its first flush: the isolate keeps to one shard for its life. */
let isolateSlot: number | null = null;

const stub = (env: Pick<MeshEnv, "LOG_BUFFER">, name: string) => env.LOG_BUFFER.get(env.LOG_BUFFER.idFromName(name));

/**
 * The stub of the control shard, which every shard's sink list follows
 * (sink writes go to all shards). Make a new stub per request: a stub
 * belongs to the request that made it.
 * @example await logBuffer(env).sink("loki")
 */
export function logBuffer(env: Pick<MeshEnv, "LOG_BUFFER">) {
  return stub(env, CONTROL_SHARD);
}

/**
 * The shard this isolate appends its request logs to: one of
 * `logShards(env)`, chosen at random once per isolate, so that a fleet's
 * appends spread evenly and no object takes them all.
 * @example await isolateLogShard(env).append(lines, deltas, 0)
 */
export function isolateLogShard(env: Pick<MeshEnv, "LOG_BUFFER" | "MESH_LOG_SHARDS">) {
  isolateSlot ??= Math.floor(Math.random() * 0x7fffffff);
  return stub(env, shardName(isolateSlot % logShards(env)));
}

/**
 * A stub for every shard, control shard first: what the cron ships, the
 * metrics sum and `GET /logs` merges.
 * @example const counters = await Promise.all(allLogShards(env).map((s) => s.metrics()))
 */
export function allLogShards(env: Pick<MeshEnv, "LOG_BUFFER" | "MESH_LOG_SHARDS">) {
  return Array.from({ length: logShards(env) }, (_, i) => stub(env, shardName(i)));
}
