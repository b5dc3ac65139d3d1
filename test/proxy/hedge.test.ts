import { afterEach, describe, expect, it, vi } from "vitest";
import { LoadStats } from "../../src/balancer/index";
import { roundRobin } from "../../src/balancer/round-robin";
import { ServiceInput } from "../../src/model/service";
import type { SnapshotOrigin } from "../../src/model/snapshot";
import { LatencySketches } from "../../src/observability/latency-sketch";
import { tryInit } from "../../src/proxy/attempt";
import { PassiveHealth } from "../../src/proxy/passive";
import { RetryBudget } from "../../src/proxy/retry-budget";
import { runTries, type TriesOutcome, type TryDeps } from "../../src/proxy/tries";
import { seededRng } from "../helpers/rng";

// The hedge race of src/proxy/tries.ts with origins stubbed at `fetch`
// (test/e2e/hedging.test.ts runs it against real servers).

/** The tries of a `method /x` to a service `s` over origins `ids`. */
function plan(
  ids: string[],
  config: Record<string, unknown>,
  method = "GET",
): (deps: TryDeps) => Promise<TriesOutcome> {
  const cfg = { name: "s", ...ServiceInput.parse({ routes: [{}], ...config }) };
  const origins = new Map(
    ids.map((id) => [`s/${id}`, { id, url: `https://${id}.example.com`, weight: 1 } as SnapshotOrigin]),
  );
  const service = { config: cfg, origins: [...origins.values()], balancer: roundRobin() };
  const endpoints = ids.map((id) => ({ id: `s/${id}`, weight: 1 }));
  const set = { endpoints, healthy: endpoints, origins, panic: false, ejected: 0, total: ids.length };
  return (deps) =>
    runTries(
      {
        service,
        set,
        balancer: service.balancer,
        first: null,
        hashKey: null,
        init: tryInit(method, new Headers(), null),
        path: "/x",
        search: "",
        front: "https://api.example.com",
        env: {},
        retryOn: cfg.retries.retry_on,
        upgrade: false,
        maxTries: 1 + cfg.retries.attempts,
        deadline: Date.now() + 10_000,
      },
      deps,
    );
}

const deps = (hedgeBudget = new RetryBudget(1)): TryDeps => ({
  load: new LoadStats(),
  passive: new PassiveHealth(),
  budget: new RetryBudget(),
  hedges: { budget: hedgeBudget, latency: new LatencySketches() },
  clock: Date.now,
  rng: seededRng(1),
});

/** The first call hangs until aborted (and records it); every later one answers its host at once. */
function firstHangs(): { aborted: string[]; hosts: string[] } {
  const seen = { aborted: [] as string[], hosts: [] as string[] };
  vi.spyOn(globalThis, "fetch").mockImplementation((url, init) => {
    const host = new URL(String(url)).hostname;
    seen.hosts.push(host);
    if (seen.hosts.length > 1) return Promise.resolve(new Response(`from ${host}`));
    return new Promise((_, reject) =>
      init?.signal?.addEventListener("abort", () => {
        seen.aborted.push(host);
        reject(new Error("aborted"));
      }),
    );
  });
  return seen;
}

/** Polls `check` until it holds, for at most 2 s. */
async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 2_000;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

const hedged = { hedge: { delay_ms: 20 }, outlier_detection: { consecutive_failures: 1 } };

describe("hedged requests", () => {
  afterEach(() => vi.restoreAllMocks());

  it("answers a slow GET from the hedge, aborts the first try, counts both, and ejects no one", async () => {
    const seen = firstHangs();
    const d = deps();
    const started = Date.now();
    const out = await plan(["a", "b"], hedged)(d);
    expect(out.attempts).toBe(2);
    expect(seen.hosts).toEqual(["a.example.com", "b.example.com"]);
    expect(out.originId).toBe("b");
    expect(out.last?.kind === "response" && (await out.last.response.text())).toBe("from b.example.com");
    expect(Date.now() - started).toBeLessThan(1_000);
    await until(() => seen.aborted.length === 1);
    expect(seen.aborted).toEqual(["a.example.com"]);
    // The loser is no failure of its origin, but its wait makes it look slower to the balancer.
    expect(out.ejected).toBeNull();
    expect(d.passive.drain()).toEqual([]);
    await until(() => d.load.inflight("s/a") === 0);
    expect(d.load.inflight("s/b")).toBe(0);
    expect(d.load.cost("s/a", Date.now())).toBeGreaterThanOrEqual(15);
  });

  it("restarts the delay once when its timer fires late (the isolate was paused), so an answer already there wins", async () => {
    // The origin answers in 32 ms; the hedge delay is 20 ms. The clock jumps 60 ms at 10 ms, as a 60 ms pause of
    // the isolate would make it: the timer, due at 20 ms, fires 50 ms late by the clock, and the delay starts again.
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => {
      await new Promise((r) => setTimeout(r, 32));
      return new Response("first");
    });
    let skew = 0;
    const d = { ...deps(), clock: () => Date.now() + skew };
    setTimeout(() => (skew = 60), 10);
    const out = await plan(["a", "b"], hedged)(d);
    expect(out.last?.kind === "response" && (await out.last.response.text())).toBe("first");
    expect(out.attempts).toBe(1);
    // Without the pause the same answer is hedged at 20 ms.
    vi.restoreAllMocks();
    const seen = firstHangs();
    expect((await plan(["a", "b"], hedged)(deps())).attempts).toBe(2);
    expect(seen.hosts).toHaveLength(2);
  });

  it("never hedges a POST, nor with hedge null", async () => {
    const config = { ...hedged, retries: { attempts: 0, per_try_timeout_ms: 60 } };
    firstHangs();
    const post = await plan(["a", "b"], config, "POST")(deps());
    expect(post.attempts).toBe(1);
    expect(post.last?.kind).toBe("timeout");
    vi.restoreAllMocks();
    firstHangs();
    const off = await plan(["a", "b"], { ...config, hedge: null })(deps());
    expect(off.attempts).toBe(1);
  });

  it("never hedges to an origin already tried", async () => {
    const seen = firstHangs();
    const out = await plan(["a"], { ...hedged, retries: { attempts: 0, per_try_timeout_ms: 60 } })(deps());
    expect(out.attempts).toBe(1);
    expect(seen.hosts).toEqual(["a.example.com"]);
  });

  it("hedges within its own budget: about budget_ratio of the requests", async () => {
    const retries = { attempts: 0, per_try_timeout_ms: 20 };
    const p = plan(["a", "b"], { hedge: { delay_ms: 5, budget_ratio: 0.25 }, retries });
    const d = deps(new RetryBudget(0));
    let hedges = 0;
    for (let i = 0; i < 40; i++) {
      vi.restoreAllMocks();
      firstHangs();
      const out = await p(d);
      if (out.attempts === 2) hedges++;
      else expect(out.last?.kind).toBe("timeout");
      if (out.attempts === 2) expect(out.last?.kind).toBe("response");
    }
    // A hedge needs hedges + 1 ≤ 0.25 × requests: the 4th, 8th, … request.
    expect(hedges).toBe(10);
  });

  it("waits for the service's observed percentile when delay_ms is null, and not before 20 answers", async () => {
    const config = { hedge: { percentile: 90 }, retries: { attempts: 0, per_try_timeout_ms: 100 } };
    const p = plan(["a", "b"], config);
    const d = deps();
    firstHangs();
    expect((await p(d)).attempts).toBe(1);
    for (let i = 0; i < 20; i++) d.hedges.latency.record("s", 30, Date.now());
    vi.restoreAllMocks();
    firstHangs();
    const started = Date.now();
    const out = await p(d);
    expect(out.attempts).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(28);
  });

  it("keeps waiting for the first try when the hedge fails, and counts that failure", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url) => {
      if (String(url).includes("b.example")) return new Response("busy", { status: 503 });
      await new Promise((r) => setTimeout(r, 80));
      return new Response("slow but fine");
    });
    const d = deps();
    const out = await plan(["a", "b"], { ...hedged, retries: { attempts: 0 } })(d);
    expect(out.attempts).toBe(2);
    expect(out.last?.kind === "response" && (await out.last.response.text())).toBe("slow but fine");
    expect(d.passive.drain()).toEqual([expect.objectContaining({ origin: "b" })]);
  });

  it("cancels, unread, the body of a loser whose answer comes after the winner's", async () => {
    let cancelled = false;
    let calls = 0;
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => {
      if (calls++ > 0) return new Response("winner");
      await new Promise((r) => setTimeout(r, 60));
      const body = new ReadableStream({ cancel: () => void (cancelled = true) });
      return new Response(body);
    });
    const out = await plan(["a", "b"], hedged)(deps());
    expect(out.last?.kind === "response" && (await out.last.response.text())).toBe("winner");
    await until(() => cancelled);
  });
});
