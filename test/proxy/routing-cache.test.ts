import { describe, expect, it } from "vitest";
import type { Snapshot } from "../../src/model/snapshot";
import { RoutingCache, type SnapshotSource } from "../../src/proxy/routing-cache";
import { OriginInput } from "../../src/model/origin";
import { ServiceInput } from "../../src/model/service";

const snap = (version: number): Snapshot => ({
  version,
  services: [{ name: "s", ...ServiceInput.parse({ routes: [{ path_prefix: `/v${version}` }] }) }],
  origins: [],
});

/** A registry stand-in: records calls; each blocking read resolves when the test says so. */
function fakeRegistry() {
  const calls: { known: number; waitMs: number; resolve: (s: Snapshot | null) => void; reject: (e: Error) => void }[] =
    [];
  let version = 1;
  const source: SnapshotSource = (known, waitMs) =>
    waitMs === 0
      ? Promise.resolve(known === version ? null : snap(version))
      : new Promise((resolve, reject) => calls.push({ known, waitMs, resolve, reject }));
  return { calls, source, setVersion: (v: number) => (version = v) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("RoutingCache", () => {
  it("keeps one blocking read in flight however many requests arrive, and installs its answer", async () => {
    let now = 1_000;
    const cache = new RoutingCache(() => now, 1000, 20_000);
    const reg = fakeRegistry();
    const background: Promise<unknown>[] = [];
    const first = await cache.get(reg.source, (p) => background.push(p));
    expect(first.version).toBe(1);
    for (let i = 0; i < 500; i++) {
      now += 10;
      await cache.get(reg.source, (p) => background.push(p));
    }
    expect(reg.calls).toHaveLength(1);
    expect(reg.calls[0]).toMatchObject({ known: 1, waitMs: 20_000 });
    reg.calls[0]!.resolve(snap(2));
    await Promise.all(background);
    expect((await cache.get(reg.source, () => {})).version).toBe(2);
  });

  it("starts a new blocking read no sooner than the minimum interval after the last one", async () => {
    let now = 0;
    const cache = new RoutingCache(() => now, 1000, 20_000);
    const reg = fakeRegistry();
    await cache.get(reg.source, () => {});
    await cache.get(reg.source, () => {});
    reg.calls[0]!.resolve(null);
    await tick();
    now = 500;
    await cache.get(reg.source, () => {});
    expect(reg.calls).toHaveLength(1);
    now = 1000;
    await cache.get(reg.source, () => {});
    expect(reg.calls).toHaveLength(2);
  });

  it("replaces a blocking read that never came back, and a failed one after the interval", async () => {
    let now = 0;
    const cache = new RoutingCache(() => now, 1000, 20_000);
    const reg = fakeRegistry();
    await cache.get(reg.source, () => {});
    await cache.get(reg.source, () => {});
    now = 20_000 + 4_000;
    await cache.get(reg.source, () => {});
    expect(reg.calls).toHaveLength(1);
    now = 20_000 + 5_000;
    await cache.get(reg.source, () => {});
    expect(reg.calls).toHaveLength(2);
    reg.calls[1]!.reject(new Error("registry evicted"));
    await tick();
    await cache.get(reg.source, () => {});
    expect(reg.calls).toHaveLength(2);
    now += 1000;
    await cache.get(reg.source, () => {});
    expect(reg.calls).toHaveLength(3);
  });

  it("waits for a fresh table after invalidate() and ignores an older answer arriving later", async () => {
    let now = 0;
    const cache = new RoutingCache(() => now, 1000, 20_000);
    const reg = fakeRegistry();
    await cache.get(reg.source, () => {});
    now = 1000;
    await cache.get(reg.source, () => {});
    expect(reg.calls).toHaveLength(1);
    reg.setVersion(3);
    cache.invalidate();
    expect((await cache.get(reg.source, () => {})).version).toBe(3);
    // The blocking read started before the write answers late with version 2: it must not win.
    reg.calls[0]!.resolve(snap(2));
    await tick();
    expect((await cache.get(reg.source, () => {})).version).toBe(3);
  });

  it("forgets the passive health and load of origins that left the table", async () => {
    const cfg = { consecutive_failures: 5, base_ejection_s: 30, max_ejection_percent: 100 };
    const withOrigins = (version: number, ids: string[]): Snapshot => ({
      ...snap(version),
      origins: ids.map((id) => ({
        ...OriginInput.parse({ url: `https://${id}.example.com` }),
        id,
        service: "s",
        healthy_since_ms: null,
        ejected_until_ms: null,
        health: {
          status: "healthy",
          since: "",
          last_check: null,
          last_check_ms: null,
          last_error: null,
          consecutive_successes: 0,
          consecutive_failures: 0,
          ejected_until: null,
        },
      })),
    });
    let table = withOrigins(1, ["a", "b"]);
    const source: SnapshotSource = (known) => Promise.resolve(known === table.version ? null : table);
    const cache = new RoutingCache(() => 0, 0, 0);
    await cache.get(source, () => {});
    // a: ejected here; b: four failures in a row, one short of an ejection.
    for (let i = 0; i < 5; i++) cache.passive.record("s", "a", true, cfg, 0, 0, 2);
    for (let i = 0; i < 4; i++) cache.passive.record("s", "b", true, cfg, 0, 0, 2);
    cache.load.begin("s/b", 0);
    expect(cache.passive.isEjected("s/a", 1)).toBe(true);
    expect(cache.load.size).toBe(1);

    table = withOrigins(2, []);
    cache.invalidate();
    await cache.get(source, () => {});
    expect(cache.load.size).toBe(0);
    // Both come back under the same ids: nothing of their old state is left.
    table = withOrigins(3, ["a", "b"]);
    cache.invalidate();
    await cache.get(source, () => {});
    expect(cache.passive.isEjected("s/a", 1)).toBe(false);
    expect(cache.passive.record("s", "b", true, cfg, 1, 0, 2)).toBeNull();
  });
});

describe("RoutingCache and steering", () => {
  const POOLS = { eu: { priority: 1 }, us: { priority: 2 } };
  const table = (version: number, steered: Record<string, unknown>): Snapshot => ({
    version,
    services: [
      { name: "plain", ...ServiceInput.parse({ routes: [{ path_prefix: "/plain" }] }) },
      { name: "steered", ...ServiceInput.parse({ routes: [{ path_prefix: "/steered" }], ...steered }) },
    ],
    origins: [],
  });
  const steerOf = async (cache: RoutingCache, snapshot: Snapshot, name: string) => {
    cache.invalidate();
    const state = await cache.get(
      () => Promise.resolve(snapshot),
      () => {},
    );
    return state.services.get(name)!.steer;
  };

  it("gives a service that uses none of SPEC §7 no steering state at all", async () => {
    const cache = new RoutingCache();
    expect(await steerOf(cache, table(1, {}), "plain")).toBeNull();
    expect(await steerOf(cache, table(2, {}), "steered")).toBeNull();
    const withAffinity = await steerOf(cache, table(3, { session_affinity: { type: "cookie" } }), "steered");
    expect(withAffinity).toMatchObject({ plan: null, affinity: { type: "cookie" } });
  });

  it("keeps a pool's balancer across snapshots while the policy holds, and drops it with its pool or policy", async () => {
    const cache = new RoutingCache();
    const geo = { pools: POOLS, steering: { policy: "geo" } };
    const first = (await steerOf(cache, table(1, geo), "steered"))!;
    first.balancers.set("eu", first.newBalancer());
    const eu = first.balancers.get("eu");
    const second = (await steerOf(cache, table(2, geo), "steered"))!;
    expect(second.plan).not.toBe(first.plan);
    expect(second.balancers.get("eu")).toBe(eu);
    const noEu = (await steerOf(cache, table(3, { ...geo, pools: { us: POOLS.us } }), "steered"))!;
    expect(noEu.balancers.has("eu")).toBe(false);
    noEu.balancers.set("us", noEu.newBalancer());
    const other = (await steerOf(cache, table(4, { ...geo, load_balancer: { policy: "random" } }), "steered"))!;
    expect(other.balancers.size).toBe(0);
  });
});
