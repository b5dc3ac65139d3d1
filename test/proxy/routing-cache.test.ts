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
