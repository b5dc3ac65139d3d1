import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { LogBuffer } from "../../durable-objects/log-buffer";
import { LogStore } from "../../durable-objects/log-store";
import { LogSinkInput } from "../../src/model/log-sink";
import type { BufferLimits } from "../../src/observability/limits";
import { env } from "../helpers/admin";
import { line } from "./helpers";

const sink = (url = "https://logs.example.com/in") => LogSinkInput.parse({ url });
const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => line(from + i));

/** Runs `fn` on the storage of a fresh LogBuffer instance, through a store with the given bounds. */
function withStore<T>(name: string, limits: Partial<BufferLimits>, fn: (store: LogStore) => T): Promise<T> {
  const stub = env.LOG_BUFFER.get(env.LOG_BUFFER.idFromName(`buffer-${name}`));
  return runInDurableObject(stub, (_instance: LogBuffer, state) =>
    fn(new LogStore(state.storage, { maxEntries: 100_000, maxBytes: 1 << 30, tailKeep: 0, ...limits })),
  );
}

const seqOf = (l: string) => Number((JSON.parse(l) as { request_id: string }).request_id.slice(1));

describe("log buffer bounds", () => {
  it("drops the oldest entries beyond the entry bound and counts them, per sink and in total", async () => {
    await withStore("count", { maxEntries: 5 }, (store) => {
      store.putSink("a", sink(), 0);
      expect(store.append(lines(1, 3), [], 0, 0)).toBe(0);
      expect(store.append(lines(4, 8), [], 0, 0)).toBe(3);
      const stats = store.stats();
      expect(stats).toMatchObject({ entries: 5, evicted: 3 });
      expect(stats.sinks).toEqual([
        { name: "a", pending: 5, shipped: 0, dropped: 3, failures: 0, last_attempt_ms: null },
      ]);
      expect(store.read("a", 100, 1 << 20)!.lines.map(seqOf)).toEqual([4, 5, 6, 7, 8]);
    });
  });

  it("drops the oldest entries beyond the byte bound", async () => {
    const size = new TextEncoder().encode(line(1)).length;
    await withStore("bytes", { maxBytes: size * 3 }, (store) => {
      store.putSink("a", sink(), 0);
      expect(store.append(lines(1, 5), [], 0, 0)).toBe(2);
      expect(store.stats()).toMatchObject({ entries: 3, bytes: size * 3, evicted: 2 });
      expect(store.tail(10).map(seqOf)).toEqual([5, 4, 3]);
    });
  });

  it("stores a batch in order and counts its UTF-8 bytes, multi-byte text and escapes included", async () => {
    const batch = ['{"path":"/caf\u00e9","n":1}', '{"path":"/日本","n":2}', '{"q":"a\\"b\\\\c","n":3}', "{}"];
    const size = batch.reduce((n, l) => n + new TextEncoder().encode(l).length, 0);
    await withStore("utf8", {}, (store) => {
      store.putSink("a", sink(), 0);
      store.append(batch, [], 0, 0);
      store.append(['{"n":4}'], [], 0, 0);
      expect(store.stats()).toMatchObject({ entries: 5, bytes: size + 7 });
      expect(store.read("a", 100, 1 << 20)!.lines).toEqual([...batch, '{"n":4}']);
    });
  });

  it("does not count as dropped what every sink already acknowledged", async () => {
    await withStore("acked", { maxEntries: 4, tailKeep: 4 }, (store) => {
      store.putSink("a", sink(), 0);
      store.append(lines(1, 4), [], 0, 0);
      store.ack("a", 4, 4, 0);
      expect(store.append(lines(5, 6), [], 0, 0)).toBe(0);
      expect(store.stats()).toMatchObject({
        entries: 4,
        evicted: 0,
        sinks: [{ name: "a", dropped: 0, pending: 2, shipped: 4 }],
      });
    });
  });

  it("keeps only the newest entries for the tail when no sink is configured, and a new sink starts at the end", async () => {
    await withStore("no-sinks", { tailKeep: 3 }, (store) => {
      store.append(lines(1, 10), [], 0, 0);
      expect(store.stats()).toMatchObject({ entries: 3, evicted: 0 });
      expect(store.tail(100).map(seqOf)).toEqual([10, 9, 8]);
      store.putSink("late", sink(), 0);
      expect(store.read("late", 100, 1 << 20)!.lines).toEqual([]);
      store.append(lines(11, 11), [], 0, 0);
      expect(store.read("late", 100, 1 << 20)!.lines.map(seqOf)).toEqual([11]);
    });
  });

  it("adds counter deltas in the same transaction as the batch", async () => {
    await withStore("counters", {}, (store) => {
      store.append(
        lines(1, 1),
        [
          ["k1", 2],
          ["k2", 0.5],
        ],
        0,
        0,
      );
      // Real keys are JSON themselves (src/observability/counters.ts): they must come back as the same text.
      const series = JSON.stringify(["mesh_requests_total", { service: 'a"b', code: "2xx" }]);
      store.append(
        [],
        [
          ["k1", 3],
          [series, 4],
        ],
        7,
        0,
      );
      store.append([], [[series, 1]], 0, 0);
      expect(store.counters()).toEqual([
        [series, 5],
        ["k1", 5],
        ["k2", 0.5],
      ]);
      expect(store.stats().isolate_dropped).toBe(7);
    });
  });
});

describe("sink cursors", () => {
  it("each sink has its own cursor; entries stay until every sink acknowledged them", async () => {
    await withStore("cursors", {}, (store) => {
      store.putSink("good", sink(), 0);
      store.putSink("bad", sink("https://bad.example.com/in"), 0);
      store.append(lines(1, 6), [], 0, 0);
      const batch = store.read("good", 4, 1 << 20)!;
      expect(batch).toMatchObject({ after: 0, upTo: 4 });
      store.ack("good", batch.upTo, batch.lines.length, 1);
      store.ack("good", store.read("good", 4, 1 << 20)!.upTo, 2, 1);
      expect(store.fail("bad", "sink answered HTTP 500", 1_000)).toBe(6_000);
      expect(store.stats()).toMatchObject({
        entries: 6,
        sinks: [
          { name: "bad", pending: 6, failures: 1 },
          { name: "good", pending: 0, shipped: 6 },
        ],
      });
      expect(store.read("bad", 100, 1 << 20)!.lines.map(seqOf)).toEqual([1, 2, 3, 4, 5, 6]);
      store.ack("bad", 6, 6, 2);
      expect(store.stats()).toMatchObject({
        entries: 0,
        sinks: [
          { name: "bad", pending: 0, failures: 0 },
          { name: "good", pending: 0 },
        ],
      });
    });
  });

  it("a batch is cut at the byte limit, but always holds at least one entry", async () => {
    const size = new TextEncoder().encode(line(1)).length;
    await withStore("batch-bytes", {}, (store) => {
      store.putSink("a", sink(), 0);
      store.append(lines(1, 5), [], 0, 0);
      expect(store.read("a", 100, size * 2 + 1)!.lines).toHaveLength(2);
      expect(store.read("a", 100, 1)!.lines).toHaveLength(1);
    });
  });

  it("a deleted sink no longer holds entries back", async () => {
    await withStore("delete", {}, (store) => {
      store.putSink("a", sink(), 0);
      store.putSink("b", sink(), 0);
      store.append(lines(1, 3), [], 0, 0);
      store.ack("a", 3, 3, 0);
      expect(store.stats().entries).toBe(3);
      expect(store.deleteSink("b")).toBe(true);
      expect(store.stats().entries).toBe(0);
    });
  });

  it("replacing a sink keeps its cursor and counters but clears its back-off", async () => {
    await withStore("replace", {}, (store) => {
      store.putSink("a", sink(), 0);
      store.append(lines(1, 3), [], 0, 0);
      store.ack("a", 2, 2, 0);
      store.fail("a", "boom", 0);
      expect(store.putSink("a", sink("https://other.example.com/in"), 1)).toBe(false);
      expect(store.sinkRow("a")).toMatchObject({ cursor: 2, shipped: 2, failures: 0, next_attempt_at: null });
    });
  });
});
