import { afterEach, describe, expect, it, vi } from "vitest";
import { LoadStats } from "../../src/balancer/index";
import { roundRobin } from "../../src/balancer/round-robin";
import { ServiceInput } from "../../src/model/service";
import { LatencySketches } from "../../src/observability/latency-sketch";
import type { SnapshotOrigin } from "../../src/model/snapshot";
import { tryInit } from "../../src/proxy/attempt";
import { PassiveHealth } from "../../src/proxy/passive";
import { RetryBudget } from "../../src/proxy/retry-budget";
import { runTries, type TriesOutcome, type TryDeps } from "../../src/proxy/tries";
import { seededRng } from "../helpers/rng";

// Narrow unit tests of the retry loop: origins are stubbed at `fetch`
// (the end-to-end tests run the same loop against real servers).
const origin = (id: string) => ({ id, url: `https://${id}.example.com`, weight: 1 }) as SnapshotOrigin;

/** The tries of a `GET /x` to a service `s` over origins `ids`; the service (and its balancer) persists across runs. */
function plan(
  ids: string[],
  config: Record<string, unknown> = {},
  maxTries = 3,
  search = "",
  more: { urls?: Record<string, string>; env?: object; retryOn?: string[] } = {},
): (deps: TryDeps) => Promise<TriesOutcome> {
  const cfg = { name: "s", ...ServiceInput.parse({ routes: [{}], ...config }) };
  const originOf = (id: string) => ({ ...origin(id), url: more.urls?.[id] ?? origin(id).url }) as SnapshotOrigin;
  const origins = new Map(ids.map((id) => [`s/${id}`, originOf(id)]));
  const service = { config: cfg, origins: [...origins.values()], balancer: roundRobin() };
  const endpoints = ids.map((id) => ({ id: `s/${id}`, weight: 1 }));
  const set = {
    endpoints,
    healthy: endpoints,
    origins,
    panic: false,
    ejected: 0,
    total: ids.length,
  };
  const init = tryInit("GET", new Headers(), null);
  const retryOn = (more.retryOn ?? cfg.retries.retry_on) as typeof cfg.retries.retry_on;
  const front = "https://api.example.com";
  const env = more.env ?? {};
  const deadline = Date.now() + 10_000;
  return (deps) =>
    runTries(
      {
        service,
        set,
        balancer: service.balancer,
        first: null,
        hashKey: null,
        init,
        path: "/x",
        search,
        front,
        env,
        retryOn,
        upgrade: false,
        maxTries,
        deadline,
      },
      deps,
    );
}

/** Cloudflare's own answer instead of the origin's, as a Worker's fetch() gets it. */
const edgeAnswer = (status: number, code: string) =>
  new Response(`error code: ${code}`, {
    status,
    headers: { "content-type": "text/plain; charset=UTF-8", "content-length": String(12 + code.length) },
  });

const deps = (budget = new RetryBudget()) => ({
  load: new LoadStats(),
  passive: new PassiveHealth(),
  budget,
  hedges: { budget: new RetryBudget(1), latency: new LatencySketches() },
  clock: Date.now,
  rng: seededRng(1),
});

describe("tries", () => {
  afterEach(() => vi.restoreAllMocks());

  it("retries a 5xx on an origin not yet tried and returns the good answer", async () => {
    const seen: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url) => {
      seen.push(String(url));
      return new Response(null, { status: String(url).includes("a.example") ? 503 : 200 });
    });
    const out = await plan(["a", "b"])(deps());
    expect(out.attempts).toBe(2);
    expect(out.originId).toBe("b");
    expect(out.last?.kind === "response" && out.last.response.status).toBe(200);
    expect(seen).toEqual(["https://a.example.com/x", "https://b.example.com/x"]);
  });

  it("stops at maxTries and returns the last 5xx", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response(null, { status: 502 }));
    const out = await plan(["a", "b"], {}, 3)(deps());
    expect(out.attempts).toBe(3);
    expect(out.last?.kind === "response" && out.last.response.status).toBe(502);
  });

  it("does not retry what retry_on leaves out", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response(null, { status: 500 }));
    const out = await plan(["a", "b"], { retries: { retry_on: ["gateway-error"] } })(deps());
    expect(out.attempts).toBe(1);
  });

  it("classifies a thrown fetch as a connect failure and retries it", async () => {
    let n = 0;
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => {
      if (n++ === 0) throw new Error("Network connection lost.");
      return new Response("ok");
    });
    const out = await plan(["a", "b"])(deps());
    expect(out.attempts).toBe(2);
    expect(out.last?.kind).toBe("response");
  });

  it("stops retrying when the retry budget is spent", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response(null, { status: 503 }));
    const budget = new RetryBudget(0);
    const out = await plan(["a", "b"], { retries: { budget_ratio: 0 } })(deps(budget));
    expect(out.attempts).toBe(1);
  });

  it("reports an ejection once an origin failed consecutive_failures times", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(
      async (url) => new Response(null, { status: String(url).includes("a.example") ? 503 : 200 }),
    );
    const d = deps();
    let ejections = 0;
    const p = plan(["a", "b", "c"], { outlier_detection: { consecutive_failures: 2 }, retries: { attempts: 0 } }, 1);
    for (let i = 0; i < 9; i++) if ((await p(d)).ejected) ejections++;
    expect(ejections).toBe(1);
    expect(d.passive.drain()).toEqual([
      expect.objectContaining({
        service: "s",
        origin: "a",
        reason: "outlier: 2 consecutive failures, ejected for 30s",
      }),
    ]);
    expect(d.passive.isEjected("s/a", Date.now())).toBe(true);
  });

  it("sends each try to the origin with the path and query, redirects left to the client, under its own timeout", async () => {
    const seen: { url: string; redirect: string | undefined; aborted: boolean }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation((url, init) => {
      const signal = init?.signal ?? undefined;
      seen.push({ url: String(url), redirect: init?.redirect, aborted: signal?.aborted ?? true });
      if (!String(url).includes("a.example")) return Promise.resolve(new Response("ok"));
      return new Promise((_, reject) => signal?.addEventListener("abort", () => reject(new Error("aborted"))));
    });
    const out = await plan(["a", "b"], { retries: { per_try_timeout_ms: 20 } }, 3, "?q=1")(deps());
    expect(out.attempts).toBe(2);
    expect(out.last?.kind === "response" && out.last.response.status).toBe(200);
    expect(seen).toEqual([
      { url: "https://a.example.com/x?q=1", redirect: "manual", aborted: false },
      { url: "https://b.example.com/x?q=1", redirect: "manual", aborted: false },
    ]);
  });

  it("counts Cloudflare's own 1003 / 521 answers as connect failures: retried elsewhere, and failures for ejection", async () => {
    const seen: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url) => {
      seen.push(new URL(String(url)).hostname);
      if (String(url).includes("a.example")) return edgeAnswer(403, "1003");
      if (String(url).includes("b.example")) return edgeAnswer(521, "521");
      return new Response("ok");
    });
    const out = await plan(["a", "b", "c"])(deps());
    expect(seen).toEqual(["a.example.com", "b.example.com", "c.example.com"]);
    expect(out.attempts).toBe(3);
    expect(out.last?.kind === "response" && out.last.response.status).toBe(200);

    const d = deps();
    const p = plan(["a", "c"], { outlier_detection: { consecutive_failures: 2 }, retries: { attempts: 0 } }, 1);
    const runs = [await p(d), await p(d), await p(d)];
    expect(runs[0]!.last).toMatchObject({
      kind: "connect-failure",
      edge: "1003",
      error: "Cloudflare answered error 1003 (direct IP access not allowed) instead of the origin",
    });
    expect(runs.map((r) => r.ejected)).toEqual([null, null, { service: "s", origin: "a" }]);
  });

  it("passes on an origin's own 403 without retrying, and an origin's own 503 as a 5xx response", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(
      async () =>
        new Response("Forbidden", { status: 403, headers: { "content-type": "text/plain", "content-length": "9" } }),
    );
    const forbidden = await plan(["a", "b"])(deps());
    expect(forbidden.attempts).toBe(1);
    expect(forbidden.last?.kind === "response" && (await forbidden.last.response.text())).toBe("Forbidden");
    vi.restoreAllMocks();
    vi.spyOn(globalThis, "fetch").mockImplementation(
      async () =>
        new Response("busy", { status: 503, headers: { "content-type": "text/plain", "content-length": "4" } }),
    );
    const busy = await plan(["a", "b"], {}, 2)(deps());
    expect(busy.last?.kind === "response" && busy.last.response.status).toBe(503);
  });

  it("sends a service-binding origin's tries to the binding with the client's URL, never to fetch", async () => {
    const upstream = vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("network"));
    const got: { url: string; redirect: string | undefined }[] = [];
    const USERS = {
      fetch: async (url: string, init?: RequestInit) => {
        got.push({ url, redirect: init?.redirect });
        return new Response("bound");
      },
    };
    const out = await plan(["a"], {}, 1, "?q=1", { urls: { a: "service://USERS/api" }, env: { USERS } })(deps());
    expect(out.last?.kind === "response" && (await out.last.response.text())).toBe("bound");
    expect(got).toEqual([{ url: "https://api.example.com/api/x?q=1", redirect: "manual" }]);
    expect(upstream).not.toHaveBeenCalled();
  });

  it("makes a try of a binding that is gone a connect failure, retried on another origin", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("ok"));
    const out = await plan(["a", "b"], {}, 3, "", { urls: { a: "service://GONE" } })(deps());
    expect(out.attempts).toBe(2);
    expect(out.originId).toBe("b");
    const alone = await plan(["a"], {}, 1, "", { urls: { a: "service://GONE" } })(deps());
    expect(alone.last).toEqual({
      kind: "connect-failure",
      error: "service binding GONE is not bound to this Worker",
      ms: 0,
    });
  });

  it("retries only what the plan's retryOn names (a WebSocket upgrade: connect failures only)", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response(null, { status: 503 }));
    expect((await plan(["a", "b"], {}, 3, "", { retryOn: ["connect-failure"] })(deps())).attempts).toBe(1);
  });
});
