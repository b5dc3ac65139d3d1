import { describe, expect, it } from "vitest";
import { roundRobin } from "../../src/balancer/round-robin";
import { OriginInput } from "../../src/model/origin";
import { ServiceInput } from "../../src/model/service";
import type { SnapshotOrigin } from "../../src/model/snapshot";
import { eligible } from "../../src/proxy/eligible";
import { PassiveHealth } from "../../src/proxy/passive";
import type { ServiceRuntime } from "../../src/proxy/routing-cache";

const NOW = 1_700_000_000_000;

function origin(id: string, status: SnapshotOrigin["health"]["status"], extra: Partial<SnapshotOrigin> = {}): SnapshotOrigin {
  return {
    ...OriginInput.parse({ url: `https://${id}.example.com` }),
    id,
    service: "s",
    healthy_since_ms: null,
    ejected_until_ms: null,
    health: { status, since: "", last_check: null, last_check_ms: null, last_error: null, consecutive_successes: 0, consecutive_failures: 0, ejected_until: null },
    ...extra,
  };
}

function runtime(origins: SnapshotOrigin[], config: Partial<ServiceInput> = {}): ServiceRuntime {
  return { config: { name: "s", ...ServiceInput.parse({ routes: [{}], ...config }) }, origins, balancer: roundRobin() };
}

const ids = (rt: ServiceRuntime, ejected: (k: string) => boolean = () => false, now = NOW) =>
  eligible(rt, now, ejected, Math.random()).endpoints.map((e) => e.id);

describe("eligible origins", () => {
  it("keeps enabled, non-draining, unknown or healthy, non-ejected origins", () => {
    const rt = runtime([
      origin("a", "healthy"),
      origin("b", "unknown"),
      origin("c", "unhealthy"),
      origin("d", "healthy", { drain: true }),
      origin("e", "healthy", { enabled: false }),
      origin("f", "healthy", { ejected_until_ms: NOW + 1000 }),
      origin("g", "healthy", { ejected_until_ms: NOW - 1 }),
    ], { panic_threshold_percent: 0 });
    expect(ids(rt)).toEqual(["s/a", "s/b", "s/g"]);
  });

  it("excludes origins this isolate ejected", () => {
    const rt = runtime([origin("a", "healthy"), origin("b", "healthy")], { panic_threshold_percent: 0 });
    expect(ids(rt, (k) => k === "s/b")).toEqual(["s/a"]);
  });

  it("routes across all enabled origins when healthy ones fall below the panic threshold", () => {
    const rt = runtime([origin("a", "healthy"), origin("b", "unhealthy"), origin("c", "unhealthy"), origin("d", "healthy", { drain: true })]);
    const set = eligible(rt, NOW, () => false, 1);
    expect(set.panic).toBe(true);
    expect(set.endpoints.map((e) => e.id)).toEqual(["s/a", "s/b", "s/c"]);
  });

  it("is not in panic at exactly the threshold", () => {
    const rt = runtime([origin("a", "healthy"), origin("b", "unhealthy")]);
    const set = eligible(rt, NOW, () => false, 1);
    expect(set.panic).toBe(false);
    expect(set.endpoints.map((e) => e.id)).toEqual(["s/a"]);
  });

  it("ramps the weight of an origin in slow start", () => {
    const rt = runtime([origin("a", "healthy", { weight: 100, healthy_since_ms: NOW - 5000 }), origin("b", "healthy", { weight: 100 })], { slow_start_s: 10 });
    const [a, b] = eligible(rt, NOW, () => false, 1).endpoints;
    expect(a!.weight).toBeGreaterThan(10);
    expect(a!.weight).toBeLessThan(100);
    expect(b!.weight).toBe(100);
  });
});

describe("passive outlier detection in the isolate", () => {
  const cfg = { consecutive_failures: 5, base_ejection_s: 30, max_ejection_percent: 50 };

  it("ejects an origin after 5 consecutive failures and reports it once", () => {
    const p = new PassiveHealth();
    for (let i = 0; i < 4; i++) expect(p.record("s", "a", true, cfg, NOW, 0, 3)).toBeNull();
    const report = p.record("s", "a", true, cfg, NOW, 0, 3);
    expect(report).toEqual({ service: "s", origin: "a", ejected_until: NOW + 30_000, reason: "outlier: 5 consecutive failures, ejected for 30s" });
    expect(p.isEjected("s/a", NOW + 29_999)).toBe(true);
    expect(p.isEjected("s/a", NOW + 30_000)).toBe(false);
    expect(p.drain()).toHaveLength(1);
    expect(p.drain()).toHaveLength(0);
  });

  it("does not eject beyond max_ejection_percent", () => {
    const p = new PassiveHealth();
    for (let i = 0; i < 10; i++) p.record("s", "a", true, cfg, NOW, 1, 2);
    expect(p.isEjected("s/a", NOW)).toBe(false);
  });

  it("resets the streak on success and ignores services without outlier detection", () => {
    const p = new PassiveHealth();
    for (let i = 0; i < 4; i++) p.record("s", "a", true, cfg, NOW, 0, 3);
    p.record("s", "a", false, cfg, NOW, 0, 3);
    for (let i = 0; i < 4; i++) expect(p.record("s", "a", true, cfg, NOW, 0, 3)).toBeNull();
    for (let i = 0; i < 10; i++) expect(p.record("s", "b", true, null, NOW, 0, 3)).toBeNull();
  });
});
