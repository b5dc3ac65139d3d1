import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { LogBuffer } from "../../durable-objects/log-buffer";
import type { LogStore } from "../../durable-objects/log-store";
import { LogSinkInput } from "../../src/model/log-sink";
import { logBuffer } from "../../src/clients/log-buffer";
import { BACKOFF_CAP_MS, sinkBackoffMs } from "../../src/observability/backoff";
import { flushSink, shipLogs } from "../../src/observability/ship";
import { envWithBuffer, line } from "./helpers";

/** A stand-in for sink servers: records what each host received; hosts in `down` answer 503. */
function sinks(down: Set<string>) {
  const received = new Map<string, { body: string; headers: Headers }[]>();
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    if (down.has(url.hostname)) return new Response("down", { status: 503 });
    const list = received.get(url.hostname) ?? [];
    list.push({ body: String(init?.body), headers: new Headers(init?.headers) });
    received.set(url.hostname, list);
    return new Response(null, { status: 204 });
  }) as typeof fetch;
  const ids = (host: string) =>
    (received.get(host) ?? []).flatMap((r) =>
      r.body
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { request_id: string }).request_id),
    );
  return { fetcher, received, ids };
}

async function setup(name: string) {
  const env = envWithBuffer(name);
  const buffer = logBuffer(env);
  // Keep no tail, so that "deleted once every sink acknowledged" is observable.
  await runInDurableObject(buffer, (instance: LogBuffer) => {
    (instance as unknown as { store: LogStore }).store.limits.tailKeep = 0;
  });
  return { env, buffer };
}

describe("shipping logs to sinks", () => {
  it("ships each entry once to every sink, with its headers and format", async () => {
    const { env, buffer } = await setup("ship-once");
    await buffer.putSink(
      "a",
      LogSinkInput.parse({
        url: "https://a.example.com/in",
        headers: { authorization: "Bearer s3cret" },
        batch_max: 2,
      }),
    );
    await buffer.append([line(1), line(2), line(3)]);
    const s = sinks(new Set());
    expect(await shipLogs(env, { fetcher: s.fetcher })).toEqual([{ sink: "a", shipped: 3, batches: 2, error: null }]);
    expect(s.ids("a.example.com")).toEqual(["r1", "r2", "r3"]);
    const first = s.received.get("a.example.com")![0]!;
    expect(first.headers.get("authorization")).toBe("Bearer s3cret");
    expect(first.headers.get("content-type")).toBe("application/x-ndjson");
    expect(await shipLogs(env, { fetcher: s.fetcher })).toEqual([{ sink: "a", shipped: 0, batches: 0, error: null }]);
    expect(s.ids("a.example.com")).toHaveLength(3);
  });

  it("sends at most the run's subrequest budget of batches, all sinks together; the rest waits, not failed", async () => {
    const { env, buffer } = await setup("ship-budget");
    for (const name of ["x", "y"])
      await buffer.putSink(name, LogSinkInput.parse({ url: `https://${name}.example.com/in`, batch_max: 1 }));
    await buffer.append([line(1), line(2), line(3), line(4)]);
    const s = sinks(new Set());
    let sent = 0;
    const counting = (async (input: RequestInfo | URL, init?: RequestInit) => {
      sent++;
      return s.fetcher(input, init);
    }) as typeof fetch;
    const first = await shipLogs(env, { fetcher: counting, subrequests: 5 });
    expect(sent).toBe(5);
    expect(first.reduce((n, r) => n + r.batches, 0)).toBe(5);
    expect(first.every((r) => r.error === null)).toBe(true);
    for (const name of ["x", "y"]) {
      const status = (await buffer.sink(name))!.status;
      expect(status.consecutive_failures).toBe(0);
      expect(status.next_attempt_at).toBeNull();
    }
    // The next run (a fresh budget) ships the rest, each entry once per sink.
    await shipLogs(env, { fetcher: counting, subrequests: 5 });
    expect(sent).toBe(8);
    for (const host of ["x.example.com", "y.example.com"]) expect(s.ids(host)).toEqual(["r1", "r2", "r3", "r4"]);
  });

  it("a failing sink backs off without holding back the healthy one, and entries wait for both", async () => {
    const { env, buffer } = await setup("one-failing");
    await buffer.putSink("good", LogSinkInput.parse({ url: "https://good.example.com/in" }));
    await buffer.putSink("bad", LogSinkInput.parse({ url: "https://bad.example.com/in" }));
    await buffer.append([line(1), line(2)]);
    const down = new Set(["bad.example.com"]);
    const s = sinks(down);

    const results = await shipLogs(env, { fetcher: s.fetcher });
    expect(results).toContainEqual({ sink: "good", shipped: 2, batches: 1, error: null });
    expect(results).toContainEqual({ sink: "bad", shipped: 0, batches: 0, error: "sink answered HTTP 503" });
    const bad = await buffer.sink("bad");
    expect(bad!.status).toMatchObject({ pending: 2, consecutive_failures: 1, last_error: "sink answered HTTP 503" });
    expect(Date.parse(bad!.status.next_attempt_at!) - Date.now()).toBeGreaterThan(3_000);

    // While it backs off, the cron skips it; new entries still reach the healthy sink.
    await buffer.append([line(3)]);
    expect((await shipLogs(env, { fetcher: s.fetcher })).map((r) => r.sink)).toEqual(["good"]);
    expect(s.ids("good.example.com")).toEqual(["r1", "r2", "r3"]);
    expect((await buffer.metrics()).buffer.entries).toBe(3);

    // It comes back: a flush ships everything it missed, once, and the acknowledged entries go.
    down.clear();
    expect(await flushSink(env, "bad", { fetcher: s.fetcher })).toEqual({
      sink: "bad",
      shipped: 3,
      batches: 1,
      error: null,
    });
    expect(s.ids("bad.example.com")).toEqual(["r1", "r2", "r3"]);
    expect((await buffer.sink("bad"))!.status).toMatchObject({
      pending: 0,
      consecutive_failures: 0,
      last_error: null,
      next_attempt_at: null,
    });
    expect((await buffer.metrics()).buffer.entries).toBe(0);
  });

  it("refuses to ship to a private address unless MESH_ALLOW_PRIVATE_ORIGINS is true", async () => {
    const { env, buffer } = await setup("ssrf");
    await buffer.putSink("local", LogSinkInput.parse({ url: "http://127.0.0.1:9/in" }));
    await buffer.append([line(1)]);
    const s = sinks(new Set());
    const [result] = await shipLogs(env, { fetcher: s.fetcher });
    expect(result!.error).toMatch(/loopback/);
    expect(s.received.size).toBe(0);
  });

  it("counts a network failure and a redirect as failures", async () => {
    const { env, buffer } = await setup("failures");
    await buffer.putSink("a", LogSinkInput.parse({ url: "https://a.example.com/in" }));
    await buffer.append([line(1)]);
    const refused = (async () => {
      throw new TypeError("connection refused");
    }) as typeof fetch;
    expect((await flushSink(env, "a", { fetcher: refused }))!.error).toBe(
      "could not reach the sink: connection refused",
    );
    const redirect = (async () =>
      new Response(null, { status: 302, headers: { location: "http://127.0.0.1/" } })) as typeof fetch;
    expect((await flushSink(env, "a", { fetcher: redirect }))!.error).toBe("sink answered HTTP 302");
    expect((await buffer.sink("a"))!.status).toMatchObject({ pending: 1, consecutive_failures: 2 });
  });
});

describe("sink back-off", () => {
  it("doubles from 5 s per consecutive failure, capped at 5 minutes", () => {
    expect([0, 1, 2, 3, 4].map(sinkBackoffMs)).toEqual([0, 5_000, 10_000, 20_000, 40_000]);
    expect(sinkBackoffMs(7)).toBe(BACKOFF_CAP_MS);
    expect(sinkBackoffMs(1000)).toBe(BACKOFF_CAP_MS);
  });
});
