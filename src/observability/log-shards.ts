import { allLogShards } from "../clients/log-buffer";
import type { MeshEnv } from "../config";
import type { BufferStats } from "../model/log-buffer";
import type { LogEntry } from "../model/log-entry";
import type { LogSinkInput, StoredSink } from "../model/log-sink";
import type { CounterDeltas } from "./counters";

// The request-log buffer is sharded (src/clients/log-buffer.ts): each isolate appends to one shard, and what
// the API shows is every shard's, put together here. Sink configuration is written to every shard, so each
// keeps its own cursor and back-off for each sink.

/** Sums counters by series. */
export function sumCounters(lists: readonly CounterDeltas[]): CounterDeltas {
  const sums = new Map<string, number>();
  for (const list of lists) for (const [series, value] of list) sums.set(series, (sums.get(series) ?? 0) + value);
  return [...sums].sort(([a], [b]) => (a < b ? -1 : 1));
}

/** The buffers' totals as one: entries, bytes, bounds and drops added up, sinks by name. */
export function sumBufferStats(list: readonly BufferStats[]): BufferStats {
  const sinks = new Map<string, BufferStats["sinks"][number]>();
  for (const stats of list) {
    for (const s of stats.sinks) {
      const seen = sinks.get(s.name);
      // Failures as the shard that tried last saw them (see mergeSink).
      const newer = seen === undefined || (s.last_attempt_ms ?? 0) > (seen.last_attempt_ms ?? 0);
      sinks.set(
        s.name,
        seen === undefined
          ? { ...s }
          : {
              name: s.name,
              pending: seen.pending + s.pending,
              shipped: seen.shipped + s.shipped,
              dropped: seen.dropped + s.dropped,
              failures: newer ? s.failures : seen.failures,
              last_attempt_ms: newer ? (s.last_attempt_ms ?? null) : (seen.last_attempt_ms ?? null),
            },
      );
    }
  }
  const sum = (f: (s: BufferStats) => number) => list.reduce((n, s) => n + f(s), 0);
  return {
    entries: sum((s) => s.entries),
    bytes: sum((s) => s.bytes),
    max_entries: sum((s) => s.max_entries),
    max_bytes: sum((s) => s.max_bytes),
    evicted: sum((s) => s.evicted),
    isolate_dropped: sum((s) => s.isolate_dropped),
    sinks: [...sinks.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
}

const later = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : a > b ? a : b);

/**
 * One sink as every shard sees it: counts added up, the latest times, and
 * its health (failure streak, last error, next attempt) from the shard that
 * tried it last — a shard with nothing to ship does not try, so an old
 * failure it remembers says nothing about the sink now; its configuration
 * from the first (control) shard.
 */
export function mergeSink(views: readonly StoredSink[]): StoredSink {
  const first = views[0]!;
  const latest = views.reduce((a, b) => ((b.status.last_attempt_at ?? "") > (a.status.last_attempt_at ?? "") ? b : a));
  const status = {
    ...first.status,
    consecutive_failures: latest.status.consecutive_failures,
    last_error: latest.status.last_error,
    next_attempt_at: latest.status.next_attempt_at,
  };
  for (const v of views.slice(1)) {
    status.pending += v.status.pending;
    status.shipped += v.status.shipped;
    status.dropped += v.status.dropped;
    status.last_attempt_at = later(status.last_attempt_at, v.status.last_attempt_at);
    status.last_success_at = later(status.last_success_at, v.status.last_success_at);
  }
  return { name: first.name, config: first.config, status };
}

/** Every sink, merged over the shards, in the control shard's order. */
export async function listSinks(env: MeshEnv): Promise<StoredSink[]> {
  const perShard = await Promise.all(allLogShards(env).map((s) => s.sinks()));
  const byName = new Map<string, StoredSink[]>();
  for (const list of perShard) for (const sink of list) byName.set(sink.name, [...(byName.get(sink.name) ?? []), sink]);
  return (perShard[0] ?? []).map((s) => mergeSink(byName.get(s.name)!));
}

/** One sink merged over the shards, or null when the control shard has none of that name. */
export async function getSink(env: MeshEnv, name: string): Promise<StoredSink | null> {
  const views: (StoredSink | null)[] = await Promise.all(allLogShards(env).map((s) => s.sink(name)));
  if (views[0] === null || views[0] === undefined) return null;
  return mergeSink(views.filter((v) => v !== null));
}

/** Creates or replaces a sink in every shard (the control shard first, which says whether it was created). */
export async function putSink(
  env: MeshEnv,
  name: string,
  config: LogSinkInput,
): Promise<{ created: boolean; sink: StoredSink }> {
  const [control, ...rest] = allLogShards(env);
  const { created } = await control!.putSink(name, config);
  await Promise.all(rest.map((s) => s.putSink(name, config)));
  return { created, sink: (await getSink(env, name))! };
}

/** Deletes a sink from every shard; false when the control shard had none of that name. */
export async function deleteSink(env: MeshEnv, name: string): Promise<boolean> {
  const [control, ...rest] = allLogShards(env);
  await Promise.all(rest.map((s) => s.deleteSink(name)));
  return control!.deleteSink(name);
}

/** The newest `limit` request logs of the whole mesh, newest first. */
export async function recentLogs(env: MeshEnv, limit: number): Promise<LogEntry[]> {
  const perShard = await Promise.all(allLogShards(env).map((s) => s.recent(limit)));
  return perShard
    .flat()
    .sort((a, b) => (a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : 0))
    .slice(0, limit);
}

/** Every shard's counters and totals, put together: the fleet-wide figures of `/_mesh/metrics`. */
export async function storedMetrics(env: MeshEnv): Promise<{ counters: CounterDeltas; buffer: BufferStats }> {
  const perShard = await Promise.all(allLogShards(env).map((s) => s.metrics()));
  return {
    counters: sumCounters(perShard.map((m) => m.counters as CounterDeltas)),
    buffer: sumBufferStats(perShard.map((m) => m.buffer)),
  };
}
