import { logShards } from "../clients/log-buffer";
import type { MeshEnv } from "../config";

/** Default of `MESH_LOG_BUFFER_MAX`: most entries held for shipping. */
export const DEFAULT_MAX_ENTRIES = 100_000;
/** Default of `MESH_LOG_BUFFER_MAX_BYTES`: 64 MiB, far below a Durable Object's storage limit, ~650 bytes × 100,000 entries with room to spare. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** Entries every sink has acknowledged are still kept up to this many, for `GET /logs`. */
export const TAIL_KEEP = 1000;

/** How much the log buffer may hold. */
export interface BufferLimits {
  maxEntries: number;
  maxBytes: number;
  tailKeep: number;
}

/**
 * One log-buffer shard's bounds: `MESH_LOG_BUFFER_MAX` and
 * `MESH_LOG_BUFFER_MAX_BYTES` are for the whole mesh, so each of the
 * `MESH_LOG_SHARDS` shards holds its share; unset or invalid values mean
 * the defaults.
 * @example bufferLimits({ MESH_LOG_BUFFER_MAX: "5000", MESH_LOG_SHARDS: "1" }).maxEntries // 5000
 */
export function bufferLimits(
  env: Partial<Pick<MeshEnv, "MESH_LOG_BUFFER_MAX" | "MESH_LOG_BUFFER_MAX_BYTES" | "MESH_LOG_SHARDS">>,
): BufferLimits {
  const shards = logShards(env);
  return {
    maxEntries: Math.ceil((positiveInt(env.MESH_LOG_BUFFER_MAX) ?? DEFAULT_MAX_ENTRIES) / shards),
    maxBytes: Math.ceil((positiveInt(env.MESH_LOG_BUFFER_MAX_BYTES) ?? DEFAULT_MAX_BYTES) / shards),
    tailKeep: TAIL_KEEP,
  };
}

function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*[0-9]+\s*$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
