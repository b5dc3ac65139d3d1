import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it, vi } from "vitest";
import { CHECK_CONCURRENCY, RETRY_AFTER_MS, runActiveChecks, sweepDeadlines } from "../../durable-objects/health-loop";
import { commitOrigin } from "../../durable-objects/health-ops";
import type { Registry } from "../../durable-objects/registry";
import { healthOf } from "../../durable-objects/rows";
import { RegistryStore } from "../../durable-objects/store";
import { DEFAULT_SUBREQUEST_BUDGET } from "../../src/config";
import { OriginInput, type OriginInput as OriginInputT } from "../../src/model/origin";
import { ServiceInput } from "../../src/model/service";

// The Registry's alarm loop in workerd, checking the scripted origin on
// 127.0.0.1 (test/helpers/origin-server.ts). Each test has its own object.
// Checks are scheduled per origin: a new origin, or every origin of a service
// whose checks are (re)configured, is checked at once, then every interval.

type Stub = DurableObjectStub<Registry>;

const origin = `http://127.0.0.1:${inject("originPort")}`;
/** An origin base URL whose health endpoint answers `status`. */
const answering = (status: number) => `${origin}/status/${status}`;
const registry = (name: string): Stub => env.REGISTRY.get(env.REGISTRY.idFromName(`alarm-${name}`));
const originInput = (url: string, extra: Partial<OriginInputT> = {}) => OriginInput.parse({ url, ...extra });
/** A service whose checks are due every minute, so only the test decides when a round runs. */
const checked = (hc: Record<string, unknown> = {}) =>
  ServiceInput.parse({
    routes: [{ path_prefix: "/" }],
    health_check: { interval_s: 60, healthy_threshold: 2, unhealthy_threshold: 3, ...hc },
  });
const unchecked = ServiceInput.parse({ routes: [{ path_prefix: "/" }], health_check: null });

const getAlarm = (stub: Stub) => runInDurableObject(stub, (_i, state) => state.storage.getAlarm());

/** Polls `fn` until it returns a truthy value; bounded. */
async function waitFor<T>(fn: () => Promise<T>, what: string, timeoutMs = 5_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Waits until the alarm that a write arms for "now" (checks configured, an
 * origin registered) has run and re-armed for the next round, a minute away.
 */
const settle = (stub: Stub) =>
  waitFor(async () => ((await getAlarm(stub)) ?? 0) > Date.now() + 30_000, "the first round to finish");

/** Makes every origin's check due and fires the alarm, as if the interval had passed. */
async function round(stub: Stub): Promise<void> {
  await runInDurableObject(stub, (_i, state) => {
    state.storage.sql.exec(`UPDATE origins SET next_check_at = ?`, Date.now());
  });
  expect(await runDurableObjectAlarm(stub)).toBe(true);
}

/** Switches a service's checks on (interval 60 s) without arming the alarm, so only the test's runs check. */
const enableChecksQuietly = (state: DurableObjectState, service: string, hc: Record<string, unknown> = {}) =>
  state.storage.sql.exec(
    `UPDATE services SET config = ?, next_check_at = 0 WHERE name = ?`,
    JSON.stringify(checked(hc)),
    service,
  );

async function healthOfOrigin(stub: Stub, service: string, id: string) {
  const got = await stub.getService(service);
  const o = got?.origins.find((x) => x.id === id);
  if (!o) throw new Error(`no origin ${service}/${id}`);
  return o.health;
}

describe("Registry alarm: active checks", () => {
  it("runs checks, turns origins healthy / unhealthy at their thresholds, and re-arms", async () => {
    const reg = registry("thresholds");
    await reg.putService("svc", checked());
    expect(await getAlarm(reg)).toBeNull(); // no origin yet: nothing to check, no alarm
    await reg.putOrigin("svc", "good", originInput(answering(200)));
    await reg.putOrigin("svc", "bad", originInput(answering(503)));

    // New origins are checked at once, by the alarm itself.
    await settle(reg);
    expect(await healthOfOrigin(reg, "svc", "good")).toMatchObject({
      status: "unknown",
      consecutive_successes: 1,
      last_error: null,
    });
    const bad1 = await healthOfOrigin(reg, "svc", "bad");
    expect(bad1).toMatchObject({ status: "unknown", consecutive_failures: 1, last_error: "status 503" });
    expect(bad1.last_check).not.toBeNull();
    expect(bad1.last_check_ms).toEqual(expect.any(Number));

    await round(reg);
    expect((await healthOfOrigin(reg, "svc", "good")).status).toBe("healthy");
    expect((await healthOfOrigin(reg, "svc", "bad")).status).toBe("unknown"); // 2 failures: no flap yet

    await round(reg);
    expect((await healthOfOrigin(reg, "svc", "bad")).status).toBe("unhealthy");

    const events = await reg.events("svc", 10);
    expect(events).toContainEqual(
      expect.objectContaining({
        origin: "good",
        from: "unknown",
        to: "healthy",
        reason: "active: 2 consecutive passes",
      }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        origin: "bad",
        from: "unknown",
        to: "unhealthy",
        reason: "active: 3 consecutive failures: status 503",
      }),
    );

    const alarm = await getAlarm(reg);
    expect(alarm).not.toBeNull();
    expect(alarm! - Date.now()).toBeGreaterThan(60_000 * 0.9 - 2_000);
    expect(alarm! - Date.now()).toBeLessThanOrEqual(60_000 * 1.1);
  });

  it("notices recovery: a failing origin is re-checked and returns after healthy_threshold passes", async () => {
    const reg = registry("recovery");
    await reg.putService("svc", checked({ unhealthy_threshold: 1 }));
    expect(await getAlarm(reg)).toBeNull(); // no origin yet: nothing to check, no alarm
    await reg.putOrigin("svc", "o", originInput(answering(503)));
    await settle(reg);
    await round(reg);
    expect((await healthOfOrigin(reg, "svc", "o")).status).toBe("unhealthy");

    // The health endpoint recovers (the query overrides the status in the origin's path).
    await reg.putService("svc", checked({ unhealthy_threshold: 1, path: "/healthz?status=200" }));
    await settle(reg);
    expect(await healthOfOrigin(reg, "svc", "o")).toMatchObject({ status: "unhealthy", consecutive_successes: 1 });
    await round(reg);
    expect((await healthOfOrigin(reg, "svc", "o")).status).toBe("healthy");
    expect((await reg.events("svc", 1))[0]).toMatchObject({
      from: "unhealthy",
      to: "healthy",
      reason: "active: 2 consecutive passes",
    });
  });

  it("fires on its own: the first round runs right after checks are configured", async () => {
    const reg = registry("first-round");
    await reg.putService("svc", unchecked);
    await reg.putOrigin("svc", "o", originInput(answering(200)));
    expect(await getAlarm(reg)).toBeNull();
    await reg.putService("svc", checked({ healthy_threshold: 1 }));
    const health = await waitFor(async () => {
      const h = await healthOfOrigin(reg, "svc", "o");
      return h.status === "healthy" ? h : null;
    }, "the first check");
    expect(health.last_check).not.toBeNull();
  });

  it("does not check disabled origins", async () => {
    const reg = registry("disabled");
    await reg.putService("svc", checked());
    expect(await getAlarm(reg)).toBeNull(); // no origin yet: nothing to check, no alarm
    await reg.putOrigin("svc", "on", originInput(answering(200)));
    await reg.putOrigin("svc", "off", originInput(answering(200), { enabled: false }));
    await settle(reg);
    await round(reg);
    expect((await healthOfOrigin(reg, "svc", "on")).last_check).not.toBeNull();
    expect(await healthOfOrigin(reg, "svc", "off")).toMatchObject({ status: "disabled", last_check: null });
  });

  it("needs no alarm once checks are turned off or the service is deleted", async () => {
    const reg = registry("no-alarm");
    await reg.putService("a", checked());
    await reg.putService("b", checked());
    // A service with checks but no origins needs no alarm; each gets one origin to check.
    expect(await getAlarm(reg)).toBeNull();
    await reg.putOrigin("a", "a1", originInput(answering(200)));
    await reg.putOrigin("b", "b1", originInput(answering(200)));
    // The alarm armed for "now" may be running (and so not set) at any moment: wait for the round to re-arm it.
    expect(await settle(reg)).toBe(true);
    await reg.putService("a", unchecked);
    await reg.deleteService("b");
    expect(await getAlarm(reg)).toBeNull();
    expect(await reg.ensureAlarm()).toBeNull();
  });
});

describe("Registry alarm: the loop stays alive", () => {
  it("one check that throws neither aborts the others nor the run", async () => {
    const reg = registry("throws");
    await reg.putService("svc", checked());
    expect(await getAlarm(reg)).toBeNull(); // no origin yet: nothing to check, no alarm
    for (const id of ["a", "b", "c"]) await reg.putOrigin("svc", id, originInput(answering(200)));
    await settle(reg);
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const ran = await runInDurableObject(reg, async (_i, state) => {
      const store = new RegistryStore(state.storage);
      state.storage.sql.exec(`UPDATE origins SET next_check_at = 0`);
      state.storage.sql.exec(`UPDATE origins SET health = 'not json' WHERE id = 'b'`);
      return runActiveChecks(store, fetch, Date.now);
    });
    expect(ran).toBe(3);
    expect(logged).toHaveBeenCalledWith(expect.stringContaining("health: check of svc/b failed"));
    logged.mockRestore();
    for (const id of ["a", "c"]) {
      const row = await runInDurableObject(reg, (_i, state) => new RegistryStore(state.storage).originRow("svc", id)!);
      expect(healthOf(row).last_check_at).not.toBeNull();
    }
  });

  it("a deadline that cannot be processed is retried later instead of waking the alarm at once", async () => {
    const reg = registry("stuck-deadline");
    await reg.putService("svc", unchecked);
    await reg.putOrigin("svc", "o", originInput(answering(200), { ttl_s: 60 }));
    const now = Date.now();
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    await runInDurableObject(reg, (_i, state) => {
      state.storage.sql.exec(`UPDATE origins SET health = 'not json', wake_at = ?`, now - 1);
      sweepDeadlines(new RegistryStore(state.storage), now);
    });
    const wake = await runInDurableObject(
      reg,
      (_i, state) => state.storage.sql.exec<{ w: number }>(`SELECT wake_at AS w FROM origins`).one().w,
    );
    expect(wake).toBe(now + RETRY_AFTER_MS);
    expect(logged).toHaveBeenCalledWith(expect.stringContaining("health: deadline of svc/o failed"));
    logged.mockRestore();
    expect(await reg.ensureAlarm()).toBe(now + RETRY_AFTER_MS);
  });

  it("checks at most six at a time and at most the subrequest budget per run; the rest run next, most overdue first", async () => {
    const reg = registry("many");
    for (const svc of ["one", "two"]) {
      await reg.putService(svc, unchecked);
      for (let i = 0; i < 30; i++) await reg.putOrigin(svc, `o${i}`, originInput(`https://${svc}-${i}.example.com`));
    }
    let inFlight = 0;
    let most = 0;
    const fetcher = async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return new Response("ok");
    };
    const [runs, leftOver] = await runInDurableObject(reg, async (_i, state) => {
      const store = new RegistryStore(state.storage);
      for (const svc of ["one", "two"]) enableChecksQuietly(state, svc);
      // "two" has waited longest: its checks go first, whatever the service names.
      state.storage.sql.exec(`UPDATE origins SET next_check_at = CASE service WHEN 'two' THEN 1 ELSE 2 END`);
      const counts: number[] = [await runActiveChecks(store, fetcher, Date.now)];
      const unchecked = store.originRows().filter((o) => healthOf(o).last_check_at === null);
      for (let i = 0; i < 2; i++) counts.push(await runActiveChecks(store, fetcher, Date.now));
      return [counts, unchecked.map((o) => o.service)] as const;
    });
    expect(DEFAULT_SUBREQUEST_BUDGET).toBeLessThan(50);
    expect(runs).toEqual([DEFAULT_SUBREQUEST_BUDGET, 60 - DEFAULT_SUBREQUEST_BUDGET, 0]);
    expect(leftOver).toEqual(new Array(60 - DEFAULT_SUBREQUEST_BUDGET).fill("one"));
    expect(most).toBe(CHECK_CONCURRENCY);
  });

  it("spreads each origin's checks with ±10% jitter", async () => {
    const reg = registry("jitter");
    await reg.putService("svc", unchecked);
    await reg.putOrigin("svc", "o", originInput("https://o.example.com"));
    const next = await runInDurableObject(reg, async (_i, state) => {
      const store = new RegistryStore(state.storage);
      enableChecksQuietly(state, "svc", { interval_s: 10 });
      const at: number[] = [];
      for (const r of [0, 1]) {
        state.storage.sql.exec(`UPDATE origins SET next_check_at = 0`);
        const now = Date.now();
        await runActiveChecks(
          store,
          async () => new Response("ok"),
          () => now,
          () => r,
        );
        at.push(state.storage.sql.exec<{ t: number }>(`SELECT next_check_at AS t FROM origins`).one().t - now);
      }
      return at;
    });
    expect(next).toEqual([9_000, 11_000]);
  });
});

describe("Registry alarm: deadlines", () => {
  it("marks an origin that misses its ttl_s heartbeat unhealthy, restores it on heartbeat, deregisters it after 10 × ttl_s", async () => {
    const reg = registry("ttl");
    await reg.putService("svc", unchecked);
    await reg.putOrigin("svc", "leased", originInput("https://leased.example.com", { ttl_s: 1 }));
    // Polled, not read once: on a loaded machine the 1 s alarm may already be running, and a running alarm is not set.
    expect(await waitFor(async () => (await getAlarm(reg)) !== null, "the lease alarm")).toBe(true);

    // The alarm fires by itself just after the 1 s lease runs out.
    await waitFor(
      async () => (await healthOfOrigin(reg, "svc", "leased")).status === "unhealthy",
      "the lease to expire",
      4_000,
    );
    expect((await reg.events("svc", 1))[0]).toMatchObject({
      from: "unknown",
      to: "unhealthy",
      reason: "ttl: no heartbeat for 1s",
    });

    await reg.heartbeat("svc", "leased");
    expect((await healthOfOrigin(reg, "svc", "leased")).status).toBe("unknown");
    expect((await reg.events("svc", 1))[0]).toMatchObject({
      from: "unhealthy",
      to: "unknown",
      reason: "ttl: heartbeat received",
    });

    // Ten TTLs of silence, without waiting ten seconds: sweep as of 11 s after the heartbeat.
    await runInDurableObject(reg, (_i, state) => {
      const store = new RegistryStore(state.storage);
      sweepDeadlines(store, store.originRow("svc", "leased")!.last_heartbeat_at + 11_000);
    });
    expect(await reg.listOrigins("svc")).toEqual({ ok: true, value: [] });
    expect((await reg.catalog()).services.svc?.origins).toEqual([]);
    expect((await reg.events("svc", 1))[0]).toMatchObject({
      origin: "leased",
      to: "deregistered",
      reason: "ttl: no heartbeat for 11s, deregistered",
    });
    expect(await reg.ensureAlarm()).toBeNull();
  });

  it("releases an ejected origin when its ejection ends", async () => {
    const reg = registry("ejection");
    await reg.putService("svc", unchecked);
    await reg.putOrigin("svc", "o", originInput("https://o.example.com"));
    await runInDurableObject(reg, (_i, state) => {
      const store = new RegistryStore(state.storage);
      const row = store.originRow("svc", "o")!;
      const now = Date.now();
      commitOrigin(
        store,
        row,
        { ...healthOf(row), ejected_until: now + 300, ejection_count: 1 },
        "outlier: 5 consecutive failures, ejected for 0.3s",
        now,
      );
    });
    expect((await healthOfOrigin(reg, "svc", "o")).status).toBe("ejected");
    await reg.ensureAlarm();
    await waitFor(
      async () => (await healthOfOrigin(reg, "svc", "o")).status === "unknown",
      "the ejection to end",
      3_000,
    );
    expect((await reg.events("svc", 1))[0]).toMatchObject({
      from: "ejected",
      to: "unknown",
      reason: "outlier: ejection expired",
    });
    expect(await reg.ensureAlarm()).toBeNull();
  });

  it("clears an expired lease when the origin is re-registered without one", async () => {
    const reg = registry("lease-dropped");
    await reg.putService("svc", unchecked);
    await reg.putOrigin("svc", "o", originInput("https://o.example.com", { ttl_s: 1 }));
    await runInDurableObject(reg, (_i, state) => sweepDeadlines(new RegistryStore(state.storage), Date.now() + 1_500));
    expect((await healthOfOrigin(reg, "svc", "o")).status).toBe("unhealthy");
    await reg.putOrigin("svc", "o", originInput("https://o.example.com", { ttl_s: null }));
    expect((await healthOfOrigin(reg, "svc", "o")).status).toBe("unknown");
  });
});
