import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, inject, it } from "vitest";
import { type RegionRegistry, runRegionRound } from "../../durable-objects/checker-round";
import { checker } from "../../src/clients/checker";
import { registry } from "../../src/clients/registry";
import type { RegionResult, RegionTask } from "../../src/model/region";
import { OriginInput } from "../../src/model/origin";
import { ServiceInput } from "../../src/model/service";

// The regional checkers for real in workerd: one Durable Object per region,
// each with its own alarm, checking the scripted origin on 127.0.0.1 (which
// fails the checks of the regions named in `?fail_regions=`) and reporting
// to the Registry. Locally the location hints do nothing.

const origin = `http://127.0.0.1:${inject("originPort")}`;
const THREE = ["wnam", "weur", "apac"] as const;

const service = (failRegions: string, regions: readonly string[] = THREE) =>
  ServiceInput.parse({
    routes: [{ path_prefix: "/" }],
    health_check: {
      path: `/healthz?fail_regions=${failRegions}`,
      interval_s: 60,
      healthy_threshold: 1,
      unhealthy_threshold: 1,
      regions,
    },
  });

/** Polls `fn` until it returns a truthy value; bounded. */
async function waitFor<T>(fn: () => Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function health(name: string) {
  const found = await registry(env).serviceHealth(name);
  if (!found.ok) throw new Error(`no service ${name}`);
  return found.value.origins[0]!.health;
}

const checkerState = (region: string) =>
  runInDurableObject(checker(env, region), async (_i, state) => ({
    alarm: await state.storage.getAlarm(),
    region: await state.storage.get<string>("region"),
  }));

const created: string[] = [];
afterEach(async () => {
  for (const name of created.splice(0)) await registry(env).deleteService(name);
});

async function setup(name: string, failRegions: string): Promise<void> {
  created.push(name);
  await registry(env).putService(name, service(failRegions));
  await registry(env).putOrigin(name, "o", OriginInput.parse({ url: origin }));
}

describe("regional checkers", () => {
  it("check from every region on their own alarms; one region of three failing keeps the origin healthy", async () => {
    await setup("chk-one", "weur");
    const h = await waitFor(async () => {
      const x = await health("chk-one");
      return THREE.every((r) => x.regions?.[r]?.last_check) ? x : null;
    }, "every region's first check");
    expect(h.status).toBe("healthy");
    expect(h.regions).toMatchObject({
      wnam: { status: "healthy", last_error: null },
      weur: { status: "unhealthy", last_error: "status 500" },
      apac: { status: "healthy", last_error: null },
    });
    expect(h.regions!.weur!.latency_ms).toEqual(expect.any(Number));
    // Each checker re-armed itself for its next round, about a minute away.
    for (const r of THREE) {
      const s = await waitFor(async () => {
        const c = await checkerState(r);
        return (c.alarm ?? 0) > Date.now() + 30_000 ? c : null;
      }, `checker ${r} to re-arm`);
      expect(s.region).toBe(r);
    }
  });

  it("two regions failing make the origin unhealthy, and the event names them", async () => {
    await setup("chk-two", "weur,apac");
    await waitFor(async () => (await health("chk-two")).status === "unhealthy", "the vote to fail the origin");
    const events = await registry(env).events("chk-two", 5);
    expect(events[0]).toMatchObject({ to: "unhealthy", reason: "active: unhealthy in weur, apac of 3: status 500" });
    // A reconfigured check runs at once from every region: the origin recovers.
    await registry(env).putService("chk-two", service(""));
    await waitFor(async () => (await health("chk-two")).status === "healthy", "the recovery");
    expect((await registry(env).events("chk-two", 1))[0]!.reason).toMatch(/^active: healthy in [23] of 3 regions \(/);
  });

  it("a region the service drops stops its checker and forgets it; the others carry on", async () => {
    await setup("chk-drop", "");
    await waitFor(async () => {
      const x = await health("chk-drop");
      return THREE.every((r) => x.regions?.[r]?.last_check);
    }, "every region's first check");
    await registry(env).putService("chk-drop", service("", ["wnam", "apac"]));
    expect(await checkerState("weur")).toEqual({ alarm: null, region: undefined });
    expect((await checkerState("wnam")).region).toBe("wnam");
    expect(Object.keys((await health("chk-drop")).regions!)).toEqual(["wnam", "apac"]);
  });
});

describe("a checker's round", () => {
  /** A stand-in Registry handing out `tasks` (at most the budget) and recording what it is told. */
  function standIn(n: number) {
    const calls: string[] = [];
    const reports: RegionResult[][] = [];
    const hc = service("").health_check!;
    const reg: RegionRegistry = {
      async takeRegionChecks(region, budget) {
        calls.push(`take ${region} ${budget}`);
        const tasks: RegionTask[] = Array.from({ length: Math.min(n, budget) }, (_, i) => ({
          service: "svc",
          origin: `o${i}`,
          url: `https://o${i}.example.com`,
          health_check: hc,
        }));
        return { tasks, next_wake: n > budget ? 0 : 123 };
      },
      async reportRegionChecks(region, results) {
        calls.push(`report ${region} ${results.length}`);
        reports.push(results);
        return 456;
      },
    };
    return { reg, calls, reports };
  }

  it("makes at most its budget of fetches, each with x-mesh-check-region, and reports them in one batch", async () => {
    const { reg, calls, reports } = standIn(100);
    const seen: string[] = [];
    const fetcher = async (_url: string, init: RequestInit) => {
      seen.push(new Headers(init.headers).get("x-mesh-check-region")!);
      return new Response("ok");
    };
    expect(await runRegionRound("apac", reg, fetcher, Date.now, 45)).toBe(456);
    expect(seen).toHaveLength(45);
    expect(new Set(seen)).toEqual(new Set(["apac"]));
    expect(calls).toEqual(["take apac 45", "report apac 45"]);
    expect(reports[0]![0]).toMatchObject({ service: "svc", origin: "o0", ok: true, error: null });
  });

  it("makes one Registry call when nothing is due", async () => {
    const { reg, calls } = standIn(0);
    const fetcher = async () => new Response("ok");
    expect(await runRegionRound("weur", reg, fetcher, Date.now, 45)).toBe(123);
    expect(calls).toEqual(["take weur 45"]);
  });
});
