import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";
import { registerService } from "./harness/services";

// Rate limits over HTTP (SPEC §9): the RATE_LIMITER binding (simulated by Miniflare from wrangler.toml's
// [[ratelimits]], 10 per 60 s per key) when it can count the limit, else this isolate's counter.

let mesh: Mesh;
let origin: Origin;
beforeAll(async () => {
  [mesh, origin] = await Promise.all([startMesh(), startOrigin({ name: "rl" })]);
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), origin?.stop()]);
});

/** Statuses of `n` sequential GETs, and the last answer. */
async function burst(path: string, n: number, headers: Record<string, string> = {}) {
  const statuses: number[] = [];
  let last: Response | undefined;
  for (let i = 0; i < n; i++) {
    last = await fetchWithTimeout(`${mesh.url}${path}`, { headers, timeoutMs: 20_000 });
    statuses.push(last.status);
    if (i < n - 1) await last.arrayBuffer();
  }
  return { statuses, last: last! };
}

/**
 * `run(key)` for the first key whose run starts and ends in one counting window of `periodMs` (by the host
 * clock the Worker reads too): a run that straddles a window's end is counted in two, so it goes again with
 * a fresh key. Fails after three straddling runs.
 */
async function inOneWindow<T>(periodMs: number, keys: string[], run: (key: string) => Promise<T>): Promise<T> {
  for (const key of keys) {
    const window = Math.floor(Date.now() / periodMs);
    const result = await run(key);
    if (Math.floor(Date.now() / periodMs) === window) return result;
  }
  throw new Error(`every run straddled a ${periodMs} ms window`);
}

describe("rate limits", () => {
  it("count a limit the binding can express in the binding (20 per 60 s: two slots of 10), then answer 429", async () => {
    await registerService(mesh, "bound", [mesh.expose(origin)], {
      rate_limit: { key: "header:x-tag", limit: 20, period_s: 60 },
    });
    const { statuses, last } = await inOneWindow(60_000, ["t1", "t2", "t3"], (tag) =>
      burst("/bound/x", 22, { "x-tag": tag }),
    );
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(200));
    expect(statuses.slice(20)).toEqual([429, 429]);
    expect(last.headers.get("retry-after")).toBe("60");
    const body = (await last.json()) as any;
    expect(body.error.code).toBe("ERR_RATE_LIMITED");
    expect(body.error.message).toContain("more than 20 requests in 60 s to 'bound'");
  });

  it("count a limit below the binding's unit in the isolate, with the window's remaining seconds", async () => {
    await registerService(mesh, "local", [mesh.expose(origin)], {
      rate_limit: { key: "header:x-api-key", limit: 3, period_s: 10 },
    });
    // The isolate counts in fixed 10 s windows of the clock.
    const a = await inOneWindow(10_000, ["alice", "carol", "dave"], (key) =>
      burst("/local/x", 4, { "x-api-key": key }),
    );
    expect(a.statuses).toEqual([200, 200, 200, 429]);
    const wait = Number(a.last.headers.get("retry-after"));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(10);
    // Another key value has its own count.
    expect((await burst("/local/x", 1, { "x-api-key": "bob" })).statuses).toEqual([200]);
  });

  it("refuse a period the binding does not know (400)", async () => {
    const res = await mesh.admin("PUT", "/services/bad-rl", {
      routes: [{ path_prefix: "/bad-rl" }],
      rate_limit: { key: "ip", limit: 5, period_s: 30 },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.details[0].path).toBe("rate_limit.period_s");
  });
});
