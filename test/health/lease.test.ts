import { describe, expect, it } from "vitest";
import { type LeaseVerdict, applyLease, leaseDeadline, leaseVerdict } from "../../src/health/lease";
import { initialHealth } from "../../src/health/state";

const T0 = 1_700_000_000_000;

describe("leaseVerdict", () => {
  it.each<[string, number | null, number, LeaseVerdict]>([
    ["no TTL is always ok", null, 1e9, "ok"],
    ["a fresh heartbeat is ok", 30, 0, "ok"],
    ["exactly the TTL is still ok", 30, 30_000, "ok"],
    ["just past the TTL is expired", 30, 30_001, "expired"],
    ["exactly ten TTLs is still only expired", 30, 300_000, "expired"],
    ["past ten TTLs deregisters", 30, 300_001, "deregister"],
  ])("%s", (_name, ttl, silentMs, verdict) => {
    expect(leaseVerdict(ttl, T0, T0 + silentMs)).toBe(verdict);
  });

  it("counts a new origin's silence from its registration", () => {
    const registeredAt = T0;
    expect(leaseVerdict(10, registeredAt, registeredAt + 5_000)).toBe("ok");
    expect(leaseVerdict(10, registeredAt, registeredAt + 11_000)).toBe("expired");
  });
});

describe("leaseDeadline", () => {
  it("is the first millisecond at which the verdict changes", () => {
    const fresh = leaseDeadline(30, T0, false)!;
    expect([leaseVerdict(30, T0, fresh - 1), leaseVerdict(30, T0, fresh)]).toEqual(["ok", "expired"]);
    const expired = leaseDeadline(30, T0, true)!;
    expect([leaseVerdict(30, T0, expired - 1), leaseVerdict(30, T0, expired)]).toEqual(["expired", "deregister"]);
  });

  it("is null without a TTL", () => {
    expect(leaseDeadline(null, T0, false)).toBeNull();
  });
});

describe("applyLease", () => {
  it("marks the origin unhealthy when the lease expires, saying for how long", () => {
    const r = applyLease(initialHealth(T0), "expired", 30, T0 + 31_000);
    expect(r.state.ttl_expired).toBe(true);
    expect(r.reason).toBe("ttl: no heartbeat for 30s");
  });

  it("reports the expiry once, not on every later evaluation", () => {
    const expired = applyLease(initialHealth(T0), "expired", 30, T0 + 31_000).state;
    expect(applyLease(expired, "expired", 30, T0 + 41_000)).toEqual({ state: expired, reason: null });
    expect(applyLease(expired, "deregister", 30, T0 + 400_000).reason).toBeNull();
  });

  it("renews on a heartbeat and restarts slow start", () => {
    const expired = applyLease(initialHealth(T0), "expired", 30, T0 + 31_000).state;
    const r = applyLease(expired, "ok", 30, T0 + 50_000);
    expect(r.state.ttl_expired).toBe(false);
    expect(r.reason).toBe("ttl: heartbeat received");
    expect(r.state.healthy_since).toBe(T0 + 50_000);
  });

  it("says nothing about a heartbeat on a lease that had not expired", () => {
    const state = initialHealth(T0);
    expect(applyLease(state, "ok", 30, T0 + 10_000)).toEqual({ state, reason: null });
  });
});
