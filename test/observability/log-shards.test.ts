import { describe, expect, it } from "vitest";
import { allLogShards, isolateLogShard, logShards, shardName } from "../../src/clients/log-buffer";
import type { MeshEnv } from "../../src/config";
import { LogSinkInput, type StoredSink } from "../../src/model/log-sink";
import { bufferLimits } from "../../src/observability/limits";
import {
  getSink,
  listSinks,
  mergeSink,
  putSink,
  recentLogs,
  storedMetrics,
  sumBufferStats,
  sumCounters,
} from "../../src/observability/log-shards";
import { flushSink, shipLogs } from "../../src/observability/ship";
import { env as testEnv } from "../helpers/admin";
import { line } from "./helpers";

/** The test env with its own set of `shards` log-buffer objects, so tests share none. */
function shardedEnv(name: string, shards: number): MeshEnv {
  const ns = testEnv.LOG_BUFFER;
  const LOG_BUFFER = {
    idFromName: (n: string) => ns.idFromName(`${name}/${n}`),
    get: (id: DurableObjectId) => ns.get(id),
  };
  return { ...testEnv, MESH_LOG_SHARDS: String(shards), LOG_BUFFER: LOG_BUFFER as unknown as MeshEnv["LOG_BUFFER"] };
}

/** A sink server stand-in: what it received, by request id; it answers 503 while `down.value`. */
function sinkServer() {
  const got: string[] = [];
  const down = { value: false };
  const fetcher = (async (_input: RequestInfo | URL, init?: RequestInit) => {
    if (down.value) return new Response("down", { status: 503 });
    for (const l of String(init?.body).trim().split("\n"))
      got.push((JSON.parse(l) as { request_id: string }).request_id);
    return new Response(null, { status: 204 });
  }) as typeof fetch;
  return { got, down, fetcher };
}

describe("sharded log buffer", () => {
  it("names shard 0 as the one buffer always was, and keeps an isolate to one shard", () => {
    expect(shardName(0)).toBe("global");
    expect(shardName(3)).toBe("shard-3");
    expect(logShards({})).toBe(8);
    expect(logShards({ MESH_LOG_SHARDS: "200" })).toBe(64);
    const env = shardedEnv("pick", 8);
    const first = isolateLogShard(env).id.toString();
    for (let i = 0; i < 20; i++) expect(isolateLogShard(env).id.toString()).toBe(first);
    expect(allLogShards(env).map((s) => s.id.toString())).toContain(first);
  });

  it("divides the mesh-wide buffer bounds between the shards", () => {
    expect(bufferLimits({ MESH_LOG_BUFFER_MAX: "1000", MESH_LOG_SHARDS: "4" }).maxEntries).toBe(250);
    expect(bufferLimits({ MESH_LOG_SHARDS: "1" }).maxEntries).toBe(100_000);
  });

  it("ships every shard to every sink, each entry once, with per-sink cursors, and retries a failed sink", async () => {
    const env = shardedEnv("ship", 4);
    const shards = allLogShards(env);
    const a = sinkServer();
    const b = sinkServer();
    const fetcher = ((input: RequestInfo | URL, init?: RequestInit) =>
      (String(input).includes("//a.") ? a : b).fetcher(input, init)) as typeof fetch;
    await putSink(env, "a", LogSinkInput.parse({ url: "https://a.example.com/in", batch_max: 3 }));
    await putSink(env, "b", LogSinkInput.parse({ url: "https://b.example.com/in" }));
    for (const [i, shard] of shards.entries()) await shard.append([line(i * 10 + 1), line(i * 10 + 2)]);
    b.down.value = true;
    const first = await shipLogs(env, { fetcher });
    expect(first.find((r) => r.sink === "a")).toMatchObject({ shipped: 8, error: null });
    expect(first.find((r) => r.sink === "b")?.error).toContain("503");
    expect(a.got.sort()).toEqual(["r1", "r11", "r12", "r2", "r21", "r22", "r31", "r32"]);
    expect(b.got).toEqual([]);
    // b backs off in every shard; what it missed stays pending for it alone.
    const status = await getSink(env, "b");
    expect(status?.status).toMatchObject({ pending: 8, shipped: 0, consecutive_failures: 1 });
    expect((await getSink(env, "a"))?.status).toMatchObject({ pending: 0, shipped: 8 });

    b.down.value = false;
    await shards[2]!.append([line(99)]);
    // `flush` ships b now, back-off or not; a gets only what is new.
    expect(await flushSink(env, "b", { fetcher })).toMatchObject({ shipped: 9, error: null });
    await shipLogs(env, { fetcher });
    expect(b.got.sort()).toEqual(["r1", "r11", "r12", "r2", "r21", "r22", "r31", "r32", "r99"]);
    expect(a.got).toHaveLength(9);
    expect((await listSinks(env)).map((s) => [s.name, s.status.pending])).toEqual([
      ["a", 0],
      ["b", 0],
    ]);
  });

  it("answers GET /logs and the metrics for the whole mesh, from every shard", async () => {
    const env = shardedEnv("read", 3);
    const shards = allLogShards(env);
    await shards[0]!.append([line(1)], [['["mesh_requests_total",{}]', 2]]);
    await shards[1]!.append([line(3)], [['["mesh_requests_total",{}]', 5]]);
    await shards[2]!.append([line(2)], [['["mesh_retries_total",{}]', 1]]);
    expect((await recentLogs(env, 2)).map((e) => e.request_id)).toEqual(["r3", "r2"]);
    const metrics = await storedMetrics(env);
    expect(metrics.counters).toEqual([
      ['["mesh_requests_total",{}]', 7],
      ['["mesh_retries_total",{}]', 1],
    ]);
    expect(metrics.buffer.entries).toBe(3);
  });

  it("adds up counters and buffer totals", () => {
    expect(
      sumCounters([
        [["x", 1]],
        [
          ["x", 2],
          ["a", 1],
        ],
      ]),
    ).toEqual([
      ["a", 1],
      ["x", 3],
    ]);
    const stats = (entries: number, failures: number, at: number) => ({
      entries,
      bytes: entries * 10,
      max_entries: 100,
      max_bytes: 1000,
      evicted: 0,
      isolate_dropped: 1,
      sinks: [{ name: "s", pending: entries, shipped: 1, dropped: 0, failures, last_attempt_ms: at }],
    });
    expect(sumBufferStats([stats(2, 0, 50), stats(3, 4, 10)])).toEqual({
      entries: 5,
      bytes: 50,
      max_entries: 200,
      max_bytes: 2000,
      evicted: 0,
      isolate_dropped: 2,
      sinks: [{ name: "s", pending: 5, shipped: 2, dropped: 0, failures: 0, last_attempt_ms: 50 }],
    });
    expect(sumBufferStats([stats(2, 0, 10), stats(3, 4, 50)]).sinks[0]?.failures).toBe(4);
  });
});

describe("a sink over shards", () => {
  const view = (status: Partial<StoredSink["status"]>): StoredSink => ({
    name: "s",
    config: LogSinkInput.parse({ url: "https://s.example.com/in" }),
    status: {
      pending: 1,
      shipped: 2,
      dropped: 0,
      consecutive_failures: 0,
      last_error: null,
      last_attempt_at: null,
      last_success_at: null,
      next_attempt_at: null,
      ...status,
    },
  });

  it("takes its health from the shard that tried it last: an old failure in an idle shard is not today's", () => {
    const failedEarlier = view({
      consecutive_failures: 3,
      last_error: "sink answered HTTP 503",
      last_attempt_at: "2026-12-01T10:00:00.000Z",
      next_attempt_at: "2026-12-01T10:05:00.000Z",
    });
    const shippedNow = view({
      last_attempt_at: "2026-12-01T10:09:00.000Z",
      last_success_at: "2026-12-01T10:09:00.000Z",
    });
    expect(mergeSink([failedEarlier, shippedNow]).status).toEqual({
      pending: 2,
      shipped: 4,
      dropped: 0,
      consecutive_failures: 0,
      last_error: null,
      last_attempt_at: "2026-12-01T10:09:00.000Z",
      last_success_at: "2026-12-01T10:09:00.000Z",
      next_attempt_at: null,
    });
    expect(
      mergeSink([shippedNow, view({ ...failedEarlier.status, last_attempt_at: "2026-12-01T10:10:00.000Z" })]).status,
    ).toMatchObject({ consecutive_failures: 3, last_error: "sink answered HTTP 503" });
  });
});
