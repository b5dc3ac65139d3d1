import { describe, expect, it } from "vitest";
import type { Snapshot } from "../../src/model/snapshot";
import { CACHE_SAVE_INTERVAL_MS, RoutingCache, type SnapshotSource } from "../../src/proxy/routing-cache";
import type { CachedTable, TableCache } from "../../src/proxy/table-cache";
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

  it("gives the writer a fresh table after catchUp() and ignores an older answer arriving later", async () => {
    let now = 0;
    const cache = new RoutingCache(() => now, 1000, 20_000);
    const reg = fakeRegistry();
    await cache.get(reg.source, () => {});
    now = 1000;
    await cache.get(reg.source, () => {});
    expect(reg.calls).toHaveLength(1);
    reg.setVersion(3);
    await cache.catchUp(reg.source, () => {});
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
        health: { status: "healthy", since: "" },
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
    await cache.catchUp(source, () => {});
    expect(cache.load.size).toBe(0);
    // Both come back under the same ids: nothing of their old state is left.
    table = withOrigins(3, ["a", "b"]);
    await cache.catchUp(source, () => {});
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
    const source = () => Promise.resolve(snapshot);
    // As after an admin write: the next table is fetched, then read.
    await cache.catchUp(source, () => {});
    const state = await cache.get(source, () => {});
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

/** A source whose every read waits until the test answers it. */
function heldSource() {
  const reads: { known: number; waitMs: number; resolve: (s: Snapshot | null) => void; reject: (e: Error) => void }[] =
    [];
  const source: SnapshotSource = (known, waitMs) =>
    new Promise((resolve, reject) => reads.push({ known, waitMs, resolve, reject }));
  return { reads, source };
}

/** A colo cache in memory. */
function memoryCache(initial: CachedTable | null = null) {
  const saved: CachedTable[] = [];
  let current = initial;
  const cache: TableCache = {
    load: async () => current,
    save: async (t) => {
      saved.push(t);
      current = t;
    },
  };
  return { cache, saved };
}

describe("RoutingCache: admin writes never stall traffic", () => {
  it("keeps answering proxied requests from the current table while a write's refresh runs", async () => {
    const cache = new RoutingCache(() => 0, 1000, 20_000);
    const reg = fakeRegistry();
    await cache.get(reg.source, () => {});
    const held = heldSource();
    const writer = cache.catchUp(held.source, () => {});
    for (let i = 0; i < 100; i++) expect((await cache.get(held.source, () => {})).version).toBe(1);
    held.reads[0]!.resolve(snap(2));
    await writer;
    expect((await cache.get(held.source, () => {})).version).toBe(2);
  });

  it("serves a burst of 1,000 concurrent writes with at most two refreshes", async () => {
    const cache = new RoutingCache(() => 0, 1000, 20_000);
    const reg = fakeRegistry();
    await cache.get(reg.source, () => {});
    const held = heldSource();
    const writers = Array.from({ length: 1000 }, () => cache.catchUp(held.source, () => {}));
    await tick();
    // One refresh runs; every write that finished meanwhile waits for the one after it.
    expect(held.reads).toHaveLength(1);
    held.reads[0]!.resolve(snap(2));
    await tick();
    expect(held.reads).toHaveLength(2);
    held.reads[1]!.resolve(snap(3));
    await Promise.all(writers);
    expect(held.reads).toHaveLength(2);
    expect((await cache.get(held.source, () => {})).version).toBe(3);
  });

  it("keeps its table when refreshes fail, and a failed write refresh is retried in the background", async () => {
    let now = 0;
    const cache = new RoutingCache(() => now, 1000, 20_000);
    const reg = fakeRegistry();
    await cache.get(reg.source, () => {});
    const failing: SnapshotSource = () => Promise.reject(new Error("registry unreachable"));
    await expect(cache.catchUp(failing, () => {})).rejects.toThrow("registry unreachable");
    const background: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      now += 100;
      expect((await cache.get(failing, (p) => background.push(p))).version).toBe(1);
    }
    await Promise.allSettled(background);
    // One refresh and one poll a second at most, however many requests.
    expect(background.length).toBeLessThanOrEqual(10);
    // The registry is back: the write's refresh runs in the background (the poll blocks, as it should).
    reg.setVersion(4);
    now += 1000;
    expect((await cache.get(reg.source, () => {})).version).toBe(1);
    await tick();
    expect((await cache.get(reg.source, () => {})).version).toBe(4);
  });
});

describe("RoutingCache: a cold isolate and the colo's cached table", () => {
  const cached = (version: number, fetchedAt: number): CachedTable => ({ snapshot: snap(version), fetchedAt });

  it("routes from the cached copy, marked stale, when the registry has not answered within the cold wait", async () => {
    const cache = new RoutingCache(() => 50_000, 1000, 20_000, 20);
    const held = heldSource();
    const colo = memoryCache(cached(7, 20_000));
    const background: Promise<unknown>[] = [];
    const state = await cache.get(held.source, (p) => background.push(p), colo.cache);
    expect(state).toMatchObject({ version: 7, staleSince: 20_000 });
    // The registry answers later: its table replaces the copy and is no longer stale.
    held.reads[0]!.resolve(snap(8));
    await Promise.allSettled(background);
    expect(await cache.get(held.source, () => {}, colo.cache)).toMatchObject({ version: 8, staleSince: null });
    // A copy read from the cache is never written back (its age would be lost); the registry's table is.
    expect(colo.saved.map((t) => t.snapshot.version)).toEqual([8]);
  });

  it("routes from the cached copy at once when the registry read fails", async () => {
    const cache = new RoutingCache(() => 0, 1000, 20_000, 60_000);
    const colo = memoryCache(cached(3, 0));
    const failing: SnapshotSource = () => Promise.reject(new Error("registry unreachable"));
    const started = Date.now();
    expect(await cache.get(failing, () => {}, colo.cache)).toMatchObject({ version: 3, staleSince: 0 });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("clears the stale mark once the registry confirms the cached version is current", async () => {
    let now = 10_000;
    const cache = new RoutingCache(() => now, 1000, 20_000, 10);
    const colo = memoryCache(cached(5, 1_000));
    const failing: SnapshotSource = () => Promise.reject(new Error("registry unreachable"));
    await cache.get(failing, () => {}, colo.cache);
    const asked: number[] = [];
    const current: SnapshotSource = async (known, waitMs) => {
      asked.push(waitMs);
      return known === 5 ? null : snap(5);
    };
    now += 1000;
    const background: Promise<unknown>[] = [];
    expect((await cache.get(current, (p) => background.push(p), colo.cache)).staleSince).toBe(1_000);
    await Promise.allSettled(background);
    // A stale table asks without waiting, so "nothing newer" comes at once.
    expect(asked).toEqual([0]);
    expect((await cache.get(current, () => {}, colo.cache)).staleSince).toBeNull();
  });

  it("fails a cold request only when the registry fails and no copy is cached", async () => {
    const cache = new RoutingCache(() => 0, 1000, 20_000, 10);
    const failing: SnapshotSource = () => Promise.reject(new Error("registry unreachable"));
    await expect(cache.get(failing, () => {}, memoryCache().cache)).rejects.toThrow("registry unreachable");
  });

  it("writes its table to the colo's cache at most every 10 s", async () => {
    let now = 0;
    const cache = new RoutingCache(() => now, 0, 20_000);
    const colo = memoryCache();
    let version = 1;
    const source: SnapshotSource = async (known) => (known === version ? null : snap(version));
    for (let i = 0; i < 40; i++) {
      version++;
      await cache.catchUp(source, () => {}, colo.cache);
      now += 1000;
    }
    expect(colo.saved.map((t) => t.fetchedAt)).toEqual([0, 10_000, 20_000, 30_000]);
    expect(CACHE_SAVE_INTERVAL_MS).toBe(10_000);
  });
});
